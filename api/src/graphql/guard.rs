//! The shape of a document, checked right after parsing and before validation.
//!
//! async-graphql's validation and complexity analysis expand every fragment spread
//! where it occurs, so a 1 KB document whose fragments each spread the previous one
//! twice costs 2^26 visits before anything refuses it. Here each fragment's expanded
//! size is computed once (memoised) and reused at every spread, so the check takes
//! time linear in the size of the document, and everything after it is bounded by
//! the limits it enforces.

use std::collections::HashMap;

use async_graphql::parser::types::{
    Directive, DocumentOperations, ExecutableDocument, Field, OperationDefinition, Selection,
    SelectionSet,
};
use async_graphql::{Name, Positioned};
use async_graphql_value::{ConstValue, Value};

use crate::config::Limits;
use crate::error::{Lang, Problem, Reason};

/// Fragments spreading fragments deeper than this are refused: validation walks
/// such chains recursively.
pub const MAX_FRAGMENT_NESTING: usize = 50;

/// Why a document's shape is refused; its messages are in the error catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShapeError {
    TooManyFields { found: u64, max: usize },
    TooManyAliases { found: u64, max: usize },
    TooManyRootFields { found: u64, max: usize },
    FragmentCycle(String),
    FragmentsTooDeep,
    NulCharacter,
}

impl ShapeError {
    /// The refusal with the values its message names.
    pub fn problem(&self) -> Problem {
        match self {
            ShapeError::TooManyFields { found, max } => {
                Reason::TOO_MANY_FIELDS.arg("found", found).arg("max", max)
            }
            ShapeError::TooManyAliases { found, max } => {
                Reason::TOO_MANY_ALIASES.arg("found", found).arg("max", max)
            }
            ShapeError::TooManyRootFields { found, max } => Reason::TOO_MANY_ROOT_FIELDS
                .arg("found", found)
                .arg("max", max),
            ShapeError::FragmentCycle(name) => Reason::FRAGMENT_CYCLE.arg("name", name),
            ShapeError::FragmentsTooDeep => {
                Reason::FRAGMENTS_TOO_DEEP.arg("max", MAX_FRAGMENT_NESTING)
            }
            ShapeError::NulCharacter => Reason::NUL_CHARACTER.into(),
        }
    }

    /// The stable sub-code clients can match on (`extensions.reason`).
    pub fn reason(&self) -> &'static str {
        self.problem().reason.as_str()
    }
}

impl std::fmt::Display for ShapeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.problem().render(Lang::En))
    }
}

/// What a selection set costs once every fragment in it is expanded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cost {
    /// Fields at every depth.
    pub fields: u64,
    /// Fields with an alias, at every depth.
    pub aliases: u64,
    /// Fields at the top level of the selection set.
    pub top: u64,
    /// The longest chain of fragments spreading fragments below.
    pub nesting: usize,
}

impl Cost {
    fn add(&mut self, other: Cost) {
        self.fields = self.fields.saturating_add(other.fields);
        self.aliases = self.aliases.saturating_add(other.aliases);
        self.top = self.top.saturating_add(other.top);
        self.nesting = self.nesting.max(other.nesting);
    }
}

enum Memo {
    InProgress,
    Done(Cost),
}

struct Walker<'a> {
    doc: &'a ExecutableDocument,
    memo: HashMap<&'a str, Memo>,
    nesting: usize,
}

impl<'a> Walker<'a> {
    fn fragment(&mut self, name: &'a str) -> Result<Cost, ShapeError> {
        match self.memo.get(name) {
            Some(Memo::Done(cost)) => return Ok(*cost),
            Some(Memo::InProgress) => return Err(ShapeError::FragmentCycle(name.to_owned())),
            None => {}
        }
        // An unknown fragment costs nothing here; validation reports it.
        let Some((_, def)) = self.doc.fragments.get_key_value(name) else {
            return Ok(Cost::default());
        };
        if self.nesting >= MAX_FRAGMENT_NESTING {
            return Err(ShapeError::FragmentsTooDeep);
        }
        self.memo.insert(name, Memo::InProgress);
        self.nesting += 1;
        directives_clean(&def.node.directives)?;
        let cost = self.selection_set(&def.node.selection_set.node);
        self.nesting -= 1;
        let mut cost = cost?;
        // Memoised chains are not walked again, so their length is carried along:
        // the answer must not depend on which fragment was looked at first.
        cost.nesting += 1;
        if cost.nesting > MAX_FRAGMENT_NESTING {
            return Err(ShapeError::FragmentsTooDeep);
        }
        self.memo.insert(name, Memo::Done(cost));
        Ok(cost)
    }

    fn selection_set(&mut self, set: &'a SelectionSet) -> Result<Cost, ShapeError> {
        let mut cost = Cost::default();
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => cost.add(self.field(&field.node)?),
                Selection::FragmentSpread(spread) => {
                    directives_clean(&spread.node.directives)?;
                    cost.add(self.fragment(spread.node.fragment_name.node.as_str())?);
                }
                Selection::InlineFragment(inline) => {
                    directives_clean(&inline.node.directives)?;
                    cost.add(self.selection_set(&inline.node.selection_set.node)?);
                }
            }
        }
        Ok(cost)
    }

    fn field(&mut self, field: &'a Field) -> Result<Cost, ShapeError> {
        arguments_clean(&field.arguments)?;
        directives_clean(&field.directives)?;
        let inner = self.selection_set(&field.selection_set.node)?;
        Ok(Cost {
            fields: inner.fields.saturating_add(1),
            aliases: inner
                .aliases
                .saturating_add(u64::from(field.alias.is_some())),
            top: 1,
            nesting: inner.nesting,
        })
    }

    fn operation(&mut self, op: &'a OperationDefinition) -> Result<Cost, ShapeError> {
        directives_clean(&op.directives)?;
        for var in &op.variable_definitions {
            if let Some(default) = &var.node.default_value {
                const_clean(&default.node)?;
            }
        }
        self.selection_set(&op.selection_set.node)
    }
}

fn arguments_clean(args: &[(Positioned<Name>, Positioned<Value>)]) -> Result<(), ShapeError> {
    args.iter().try_for_each(|(_, v)| value_clean(&v.node))
}

fn directives_clean(directives: &[Positioned<Directive>]) -> Result<(), ShapeError> {
    directives
        .iter()
        .try_for_each(|d| arguments_clean(&d.node.arguments))
}

/// SQLite would store a NUL and PostgreSQL would fail on it: refused up front.
fn value_clean(v: &Value) -> Result<(), ShapeError> {
    match v {
        Value::String(s) if s.contains('\0') => Err(ShapeError::NulCharacter),
        Value::List(items) => items.iter().try_for_each(value_clean),
        Value::Object(map) => map.values().try_for_each(value_clean),
        _ => Ok(()),
    }
}

fn const_clean(v: &ConstValue) -> Result<(), ShapeError> {
    match v {
        ConstValue::String(s) if s.contains('\0') => Err(ShapeError::NulCharacter),
        ConstValue::List(items) => items.iter().try_for_each(const_clean),
        ConstValue::Object(map) => map.values().try_for_each(const_clean),
        _ => Ok(()),
    }
}

/// Checks a parsed document against the limits. `operation` is the operation the
/// request names; the aliases and top-level fields of every operation it may mean
/// are checked.
pub fn check(
    doc: &ExecutableDocument,
    operation: Option<&str>,
    limits: &Limits,
) -> Result<(), ShapeError> {
    let mut walker = Walker {
        doc,
        memo: HashMap::new(),
        nesting: 0,
    };
    let mut total: u64 = 0;
    // Validation visits every fragment definition on its own, used or not.
    for name in doc.fragments.keys() {
        total = total.saturating_add(walker.fragment(name.as_str())?.fields);
    }
    let ops: Vec<(Option<&str>, &OperationDefinition)> = match &doc.operations {
        DocumentOperations::Single(op) => vec![(None, &op.node)],
        DocumentOperations::Multiple(map) => map
            .iter()
            .map(|(name, op)| (Some(name.as_str()), &op.node))
            .collect(),
    };
    let mut selected_costs = Vec::new();
    for (name, op) in ops {
        let cost = walker.operation(op)?;
        total = total.saturating_add(cost.fields);
        let selected = match (operation, name) {
            (Some(want), Some(name)) => want == name,
            _ => true,
        };
        if selected {
            selected_costs.push(cost);
        }
    }
    if total > limits.max_fields as u64 {
        return Err(ShapeError::TooManyFields {
            found: total,
            max: limits.max_fields,
        });
    }
    for cost in selected_costs {
        if cost.aliases > limits.max_aliases as u64 {
            return Err(ShapeError::TooManyAliases {
                found: cost.aliases,
                max: limits.max_aliases,
            });
        }
        if cost.top > limits.max_root_fields as u64 {
            return Err(ShapeError::TooManyRootFields {
                found: cost.top,
                max: limits.max_root_fields,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::parser::parse_query;

    fn limits() -> Limits {
        Limits::default()
    }

    fn run(q: &str) -> Result<(), ShapeError> {
        check(&parse_query(q).unwrap(), None, &limits())
    }

    /// `F1{...F0 ...F0}` … `F{n}{...F{n-1} ...F{n-1}}`, spread once from the query.
    fn doubling(n: usize) -> String {
        let mut q = String::from("query { ...F");
        q.push_str(&n.to_string());
        q.push_str(" }\nfragment F0 on Query { __typename }\n");
        for i in 1..=n {
            q.push_str(&format!(
                "fragment F{i} on Query {{ ...F{p} ...F{p} }}\n",
                p = i - 1
            ));
        }
        q
    }

    #[test]
    fn exponential_fragments_are_refused_quickly() {
        let q = doubling(26);
        assert!(q.len() < 1500, "{}", q.len());
        let started = std::time::Instant::now();
        let err = run(&q).unwrap_err();
        assert!(matches!(err, ShapeError::TooManyFields { .. }), "{err}");
        assert!(started.elapsed() < std::time::Duration::from_millis(50));
        // Far more than 2^64 expanded fields still saturates rather than overflows.
        assert!(matches!(
            run(&doubling(49)).unwrap_err(),
            ShapeError::TooManyFields { .. }
        ));
    }

    #[test]
    fn counts_follow_the_expansion() {
        let doc = parse_query(
            "query { a: units { totalCount } ...R } fragment R on Query { b: units { totalCount } c: me { id } }",
        )
        .unwrap();
        let mut w = Walker {
            doc: &doc,
            memo: HashMap::new(),
            nesting: 0,
        };
        let DocumentOperations::Single(op) = &doc.operations else {
            panic!()
        };
        assert_eq!(
            w.operation(&op.node).unwrap(),
            Cost {
                fields: 6,
                aliases: 3,
                top: 3,
                nesting: 1,
            }
        );
    }

    #[test]
    fn aliases_and_root_fields_are_limited() {
        let aliases: String = (0..31)
            .map(|i| format!("a{i}: unit(code: \"4401\") {{ name }} "))
            .collect();
        let err = run(&format!("{{ {aliases} }}")).unwrap_err();
        assert_eq!(err.reason(), "TOO_MANY_ALIASES");
        let nested: String = (0..31).map(|i| format!("n{i}: name ")).collect();
        assert_eq!(
            run(&format!("{{ unit(code: \"4401\") {{ {nested} }} }}"))
                .unwrap_err()
                .reason(),
            "TOO_MANY_ALIASES"
        );
        let roots: String = (0..21).map(|_| "__typename ").collect();
        assert_eq!(
            run(&format!("{{ {roots} }}")).unwrap_err().reason(),
            "TOO_MANY_ROOT_FIELDS"
        );
        assert!(
            run("{ a: unit(code: \"4401\") { name } b: unit(code: \"4402\") { name } }").is_ok()
        );
    }

    #[test]
    fn only_the_named_operation_counts_for_aliases() {
        let aliases: String = (0..31).map(|i| format!("a{i}: __typename ")).collect();
        let doc = parse_query(format!(
            "query Big {{ {aliases} }} query Small {{ __typename }}"
        ))
        .unwrap();
        assert!(check(&doc, Some("Small"), &limits()).is_ok());
        assert!(check(&doc, Some("Big"), &limits()).is_err());
    }

    #[test]
    fn cycles_nesting_and_nul_are_refused() {
        assert_eq!(
            run("{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }")
                .unwrap_err()
                .reason(),
            "FRAGMENT_CYCLE"
        );
        let mut chain = String::from("{ ...F0 }\n");
        for i in 0..60 {
            chain.push_str(&format!("fragment F{i} on Query {{ ...F{} }}\n", i + 1));
        }
        chain.push_str("fragment F60 on Query { __typename }");
        assert_eq!(run(&chain).unwrap_err().reason(), "FRAGMENTS_TOO_DEEP");
        // Long enough to overflow a worker's stack if it were walked recursively.
        let mut long = String::from("{ ...F0 }\n");
        for i in 0..20_000 {
            long.push_str(&format!("fragment F{i} on Query {{ ...F{} }}\n", i + 1));
        }
        long.push_str("fragment F20000 on Query { __typename }");
        let long = parse_query(&long).unwrap();
        let checked = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || check(&long, None, &limits()).map_err(|e| e.reason()))
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(checked, Err("FRAGMENTS_TOO_DEEP"));
        assert_eq!(
            run(r#"{ units(search: "a\u0000b") { totalCount } }"#)
                .unwrap_err()
                .reason(),
            "NUL_CHARACTER"
        );
    }

    #[test]
    fn the_introspection_query_fits() {
        let q = include_str!("../../tests/introspection.graphql");
        run(q).unwrap();
    }
}
