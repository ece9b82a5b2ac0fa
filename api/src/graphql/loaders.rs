//! DataLoaders: parents, ancestors and children of many units in one query each.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use async_graphql::ErrorExtensions;
use sea_orm::DatabaseConnection;

use crate::pagination::{Page, PageRequest};
use crate::services::units::{self, UnitRecord};

pub struct UnitLoader {
    pub db: DatabaseConnection,
}

/// A unit by code.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ByCode(pub String);

/// One page of a unit's children.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChildrenOf {
    pub parent: String,
    pub page: PageRequest,
}

/// How many children a unit has.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChildCount(pub String);

impl Loader<ByCode> for UnitLoader {
    type Value = UnitRecord;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[ByCode]) -> Result<HashMap<ByCode, UnitRecord>, Self::Error> {
        let codes: Vec<String> = keys.iter().map(|k| k.0.clone()).collect();
        let found = units::by_codes(&self.db, &codes)
            .await
            .map_err(|e| e.extend())?;
        Ok(found
            .into_iter()
            .map(|u| (ByCode(u.code.to_string()), u))
            .collect())
    }
}

impl Loader<ChildrenOf> for UnitLoader {
    type Value = Page<UnitRecord>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[ChildrenOf],
    ) -> Result<HashMap<ChildrenOf, Page<UnitRecord>>, Self::Error> {
        let mut out = HashMap::new();
        // First pages of many parents share one windowed query; a page after a cursor
        // is a client walking one list, fetched on its own.
        let (first_pages, later): (Vec<&ChildrenOf>, Vec<&ChildrenOf>) =
            keys.iter().partition(|k| k.page.after.is_none());
        if let Some(limit) = first_pages.iter().map(|k| k.page.first).max() {
            let parents: Vec<String> = first_pages.iter().map(|k| k.parent.clone()).collect();
            let found = units::first_children(&self.db, &parents, limit + 1)
                .await
                .map_err(|e| e.extend())?;
            for key in first_pages {
                let rows: Vec<UnitRecord> = found
                    .get(&key.parent)
                    .map(|rows| {
                        rows.iter()
                            .take(key.page.first as usize + 1)
                            .cloned()
                            .collect()
                    })
                    .unwrap_or_default();
                out.insert(key.clone(), Page::from_overfetch(rows, &key.page));
            }
        }
        for key in later {
            let page = units::children_page(&self.db, &key.parent, &key.page)
                .await
                .map_err(|e| e.extend())?;
            out.insert(key.clone(), page);
        }
        Ok(out)
    }
}

impl Loader<ChildCount> for UnitLoader {
    type Value = u64;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[ChildCount]) -> Result<HashMap<ChildCount, u64>, Self::Error> {
        let parents: Vec<String> = keys.iter().map(|k| k.0.clone()).collect();
        let counts = units::child_counts(&self.db, &parents)
            .await
            .map_err(|e| e.extend())?;
        Ok(keys
            .iter()
            .map(|k| (k.clone(), counts.get(&k.0).copied().unwrap_or(0)))
            .collect())
    }
}
