//! Service certificates: issued for a volunteer's approved hours.

use async_graphql::{Context, ErrorExtensions, InputObject, Object, SimpleObject, ID};
use entity::kinds::IdType;

use crate::graphql::connection::{list, Connection, OrderBy, Paging};
use crate::graphql::ids::{global_id, NodeKind};
use crate::graphql::scalars::{Day, Timestamp};
use crate::graphql::volunteers::volunteer_of;
use crate::graphql::volunteers::Volunteer;
use crate::graphql::{answer, cx_of, id_of, opt_id, parse_under, parts, GqlResult};
use crate::services::certificates::{self, CertificateFilter, CertificateRecord, IssueCertificate};
use crate::services::CreatedOrderField;

/// One line of a certificate: a kind of service and its hours.
#[derive(SimpleObject)]
pub struct CertificateLine {
    /// What was done.
    pub content: String,
    /// Approved hours of it.
    pub hours: f64,
}

/// A volunteer service record certificate (志愿服务记录证明).
pub struct Certificate {
    record: CertificateRecord,
    personal: tokio::sync::OnceCell<certificates::CertificatePersonal>,
}

impl Certificate {
    pub fn new(record: CertificateRecord) -> Certificate {
        Certificate {
            record,
            personal: tokio::sync::OnceCell::new(),
        }
    }

    /// Decided (and, when unmasked, audited) once per certificate per request.
    async fn personal(&self, ctx: &Context<'_>) -> GqlResult<&certificates::CertificatePersonal> {
        let cx = cx_of(ctx)?;
        self.personal
            .get_or_try_init(|| certificates::personal(cx, &self.record))
            .await
            .map_err(|e| e.extend())
    }
}

/// A volunteer service certificate (志愿服务证明): the approved hours of one volunteer over a period, as issued.
#[Object]
impl Certificate {
    /// The record's global ID (opaque; use it with `node` and `nodes`).
    pub async fn id(&self) -> ID {
        global_id(NodeKind::Certificate, self.record.id)
    }
    /// Unique; verify at `GET /certificates/{number}`.
    async fn number(&self) -> &str {
        &self.record.number
    }
    /// The volunteer (null when the caller cannot see the record).
    async fn volunteer(&self, ctx: &Context<'_>) -> GqlResult<Option<Volunteer>> {
        volunteer_of(ctx, self.record.volunteer_id).await
    }
    /// The volunteer's name as printed (masked without personal-data permission).
    async fn real_name(&self) -> &str {
        &self.record.real_name
    }
    /// The kind of ID document, as printed.
    async fn id_type(&self) -> Option<IdType> {
        Some(self.record.id_kind)
    }
    /// As printed on the certificate; masked (`440104********1234`) unless the caller
    /// holds `volunteer.read_personal` over the volunteer (each unmasked read is
    /// audited).
    async fn id_number(&self, ctx: &Context<'_>) -> GqlResult<String> {
        Ok(self.personal(ctx).await?.id_number.clone())
    }
    /// Whether `idNumber` (and the printable page) are masked for this caller.
    async fn personal_data_masked(&self, ctx: &Context<'_>) -> GqlResult<bool> {
        Ok(self.personal(ctx).await?.masked)
    }
    /// The volunteer number as printed.
    async fn volunteer_number(&self) -> &str {
        &self.record.volunteer_number
    }
    /// First day of the period covered.
    async fn from(&self) -> Day {
        self.record.period_from.into()
    }
    /// Last day of the period covered.
    async fn to(&self) -> Day {
        self.record.period_to.into()
    }
    /// Approved service hours in the period.
    async fn hours(&self) -> f64 {
        self.record.half_hours as f64 / 2.0
    }
    /// The service done, one line per kind of service with its hours.
    async fn content(&self) -> Vec<CertificateLine> {
        self.record
            .content
            .iter()
            .map(|l| CertificateLine {
                content: l.content.clone(),
                hours: l.half_hours as f64 / 2.0,
            })
            .collect()
    }
    /// The issuing unit.
    async fn unit_code(&self) -> &str {
        self.record.unit.as_str()
    }
    /// Name of the unit that issued it.
    async fn issuing_unit(&self) -> &str {
        &self.record.unit_name
    }
    /// The person who issued it.
    async fn handler(&self) -> &str {
        &self.record.handler_name
    }
    /// When it was issued.
    async fn issued_at(&self) -> Timestamp {
        self.record.issued_at.into()
    }
    /// The certificate as a printable A4 HTML page (the ID number under the same
    /// rule as `idNumber`).
    async fn printable_html(&self, ctx: &Context<'_>) -> GqlResult<String> {
        Ok(certificates::printable_html(
            &self.record,
            self.personal(ctx).await?,
        ))
    }
}

/// Issue a service certificate for a volunteer.
#[derive(InputObject)]
pub struct IssueCertificateInput {
    /// The volunteer's global ID.
    pub volunteer_id: ID,
    /// First day of the period (China Standard Time), included.
    pub from: Day,
    /// Last day of the period, included.
    pub to: Day,
    /// The issuing unit; default: the unit where the caller issues certificates.
    pub unit_code: Option<String>,
}

/// The result of `issueCertificate`.
#[derive(SimpleObject)]
pub struct CertificatePayload {
    /// The issued certificate.
    pub certificate: Certificate,
}

impl From<CertificateRecord> for CertificatePayload {
    fn from(c: CertificateRecord) -> Self {
        CertificatePayload {
            certificate: Certificate::new(c),
        }
    }
}

#[derive(Default)]
pub struct CertificateQuery;

#[Object]
impl CertificateQuery {
    /// Certificates the caller may see, newest first (a volunteer: its own).
    #[graphql(
        complexity = "crate::graphql::connection::list_cost(first.or(last), child_complexity, __field)"
    )]
    async fn certificates(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Only records at this unit or below it (its division code, e.g. `440104`); left out, everything the caller may read."
        )]
        under: Option<String>,
        #[graphql(desc = "Only this volunteer's certificates.")] volunteer_id: Option<ID>,
        #[graphql(desc = "Sort order; left out, newest first.")] order_by: Option<
            OrderBy<CreatedOrderField>,
        >,
        #[graphql(desc = "How many items to return: 20 when left out, at most 100.")] first: Option<
            i32,
        >,
        #[graphql(
            desc = "Return the items after this cursor (the previous page's `pageInfo.endCursor`)."
        )]
        after: Option<String>,
        #[graphql(
            desc = "How many items to return from the end (with `before`): 20 when left out, at most 100."
        )]
        last: Option<i32>,
        #[graphql(
            desc = "Return the items before this cursor (the next page's `pageInfo.startCursor`), paging backwards."
        )]
        before: Option<String>,
    ) -> GqlResult<Connection<Certificate>> {
        let paging = Paging {
            first,
            after,
            last,
            before,
        };
        list(
            ctx,
            paging,
            Certificate::new,
            |cx, page, want_total| async move {
                let filter = CertificateFilter {
                    under: parse_under(under.as_deref())?,
                    volunteer_id: opt_id(NodeKind::Volunteer, &volunteer_id)?,
                };
                certificates::list(cx, &filter, OrderBy::pair(order_by), &page, want_total).await
            },
        )
        .await
    }
}

#[derive(Default)]
pub struct CertificateMutation;

#[Object]
impl CertificateMutation {
    /// Certifies the approved hours recorded by a unit for a volunteer in a period.
    async fn issue_certificate(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: IssueCertificateInput,
    ) -> GqlResult<CertificatePayload> {
        answer(async {
            let issue = IssueCertificate {
                volunteer_id: id_of(NodeKind::Volunteer, &input.volunteer_id)?,
                from: input.from.into(),
                to: input.to.into(),
                unit_code: input.unit_code,
            };
            let cx = parts(ctx)?;
            certificates::issue(cx, issue).await
        })
        .await
    }
}
