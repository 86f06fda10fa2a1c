//! The reads of the at-risk walk, one village at a time: the registry's households and
//! disaster expenses, and each service's signals (each a filtered list read, paged to the
//! end). Education's two signals are read together: one source, one failure.

use std::collections::BTreeMap;
use std::future::Future;

use chrono::NaiveDate;
use tonic::{Request, Response, Status};
use xk_contracts::convert::date_to_pb;
use xk_contracts::pb::education::v1::{
    ListSchoolingExpensesRequest as SchoolRequest, ListSchoolingExpensesResponse as SchoolAnswer,
    ListStudentsRequest as StudentsRequest, ListStudentsResponse as StudentsAnswer,
    SchoolingExpense as Schooling, Student,
};
use xk_contracts::pb::health::v1::{
    ListPersonPaymentsRequest as PaymentsRequest, ListPersonPaymentsResponse as PaymentsAnswer,
    PersonPayment,
};
use xk_contracts::pb::housing::v1::{
    HousingException, ListExceptionsRequest as HousingRequest,
    ListExceptionsResponse as HousingAnswer,
};
use xk_contracts::pb::registry::v1::{
    DisasterExpense as Disaster, Household, ListDisasterExpensesRequest as DisasterRequest,
    ListDisasterExpensesResponse as DisasterAnswer, ListHouseholdsRequest as HouseholdsRequest,
    ListHouseholdsResponse as HouseholdsAnswer,
};
use xk_contracts::pb::water::v1::{
    HouseholdException as WaterException, ListExceptionsRequest as WaterRequest,
    ListExceptionsResponse as WaterAnswer,
};
use xk_contracts::pb::{education, housing, water};

use crate::risk;
use crate::upstream::{
    CallCtx, EducationClient, HealthClient, HousingClient, RegistryClient, ServiceClient,
    WaterClient,
};

/// A list request the walk reads to the end: the page it asks for, the RPC that answers
/// it and how an answer splits into its items and the next page's token.
trait PagedList: Clone {
    /// The client of the service that answers.
    type Client: ServiceClient;
    /// One page's answer.
    type Answer;
    /// What the list holds.
    type Item;
    /// The same request for the page of `size` items at `token`.
    fn page(self, size: i32, token: String) -> Self;
    /// Sends the request.
    fn send(
        client: Self::Client,
        request: Request<Self>,
    ) -> impl Future<Output = Result<Response<Self::Answer>, Status>>;
    /// The answer's items and the next page's token (empty after the last page).
    fn split(answer: Self::Answer) -> (Vec<Self::Item>, String);
}

/// The list reads differ only in these names; this writes the same impl for each:
/// request => answer, client, RPC, the answer's items and their type.
macro_rules! paged_lists {
    ($($request:ty => $answer:ty, $client:ty, $rpc:ident, $items:ident: $item:ty;)+) => {$(
        impl PagedList for $request {
            type Client = $client;
            type Answer = $answer;
            type Item = $item;

            fn page(self, page_size: i32, page_token: String) -> Self {
                Self {
                    page_size,
                    page_token,
                    ..self
                }
            }

            fn send(
                mut client: $client,
                request: Request<Self>,
            ) -> impl Future<Output = Result<Response<$answer>, Status>> {
                async move { client.$rpc(request).await }
            }

            fn split(answer: $answer) -> (Vec<$item>, String) {
                (answer.$items, answer.next_page_token)
            }
        }
    )+};
}

paged_lists! {
    HouseholdsRequest => HouseholdsAnswer, RegistryClient, list_households, households: Household;
    DisasterRequest => DisasterAnswer, RegistryClient, list_disaster_expenses, expenses: Disaster;
    PaymentsRequest => PaymentsAnswer, HealthClient, list_person_payments, people: PersonPayment;
    StudentsRequest => StudentsAnswer, EducationClient, list_students, students: Student;
    SchoolRequest => SchoolAnswer, EducationClient, list_schooling_expenses, expenses: Schooling;
    WaterRequest => WaterAnswer, WaterClient, list_exceptions, exceptions: WaterException;
    HousingRequest => HousingAnswer, HousingClient, list_exceptions, exceptions: HousingException;
}

/// One village of the walk: its code, and the year and day its signals are read for.
pub(super) struct Village<'a> {
    /// Where the reads go.
    pub(super) ctx: &'a CallCtx,
    /// The village's region code, the prefix of every read.
    pub(super) code: &'a str,
    /// The year of the expenses and payments.
    pub(super) year: i32,
    /// The day the housing exceptions are judged on.
    pub(super) as_of: NaiveDate,
}

impl Village<'_> {
    /// Every page of one list read, `request` asking for each page in turn (at the
    /// configured page size).
    async fn read<L: PagedList>(&self, request: L) -> Result<Vec<L::Item>, Status> {
        let page_size = self.ctx.clients().list_page_size;
        let mut out = Vec::new();
        let mut token = String::new();
        loop {
            let page = request.clone().page(page_size, token);
            let (items, next) = L::split(self.ctx.call(page, L::send).await?);
            out.extend(items);
            if next.is_empty() {
                return Ok(out);
            }
            token = next;
        }
    }

    /// The village's households (registry).
    pub(super) async fn households(&self) -> Result<Vec<Household>, Status> {
        self.read(HouseholdsRequest {
            region_prefix: self.code.to_string(),
            ..Default::default()
        })
        .await
    }

    /// The village's households' disaster expenses of the year (registry).
    pub(super) async fn disaster(&self) -> Result<Vec<Disaster>, Status> {
        self.read(DisasterRequest {
            year: self.year,
            region_prefix: self.code.to_string(),
            ..Default::default()
        })
        .await
    }

    /// The village's people with a personal medical payment in the year (health's
    /// person-year totals, net of reversals), by resident id.
    pub(super) async fn payments(&self) -> Result<BTreeMap<String, i64>, Status> {
        let people = self.read(PaymentsRequest {
            coverage_year: self.year,
            region_prefix: self.code.to_string(),
            min_personal_total_fen: 0,
            ..Default::default()
        });
        Ok(risk::person_payments(&people.await?))
    }

    /// Education's two signals of the village: out-of-school students (one filtered read
    /// per status) and schooling expenses of the year.
    pub(super) async fn education(&self) -> Result<EducationSignals, Status> {
        use education::v1::StudentStatus as S;
        let students = |status: S| {
            self.read(StudentsRequest {
                status: status as i32,
                region_prefix: self.code.to_string(),
                ..Default::default()
            })
        };
        let schooling = self.read(SchoolRequest {
            region_prefix: self.code.to_string(),
            year: self.year,
            ..Default::default()
        });
        let (dropped_out, never_enrolled, schooling) = tokio::join!(
            students(S::DroppedOut),
            students(S::NeverEnrolled),
            schooling
        );
        let mut students = dropped_out?;
        students.extend(never_enrolled?);
        Ok(EducationSignals {
            students,
            schooling: schooling?,
        })
    }

    /// The village's households whose current water verdict is unsafe.
    pub(super) async fn unsafe_water(&self) -> Result<Vec<WaterException>, Status> {
        self.read(WaterRequest {
            kind: water::v1::ExceptionKind::Unsafe as i32,
            region_prefix: self.code.to_string(),
            household_ids: vec![],
            ..Default::default()
        })
        .await
    }

    /// The village's relocated households with labour and no member employed.
    pub(super) async fn jobless(&self) -> Result<Vec<HousingException>, Status> {
        self.read(HousingRequest {
            region_prefix: self.code.to_string(),
            kind: housing::v1::ExceptionKind::NoEmployment as i32,
            as_of: Some(date_to_pb(self.as_of)),
            ..Default::default()
        })
        .await
    }
}

/// What education tells the walk about one village.
pub(super) struct EducationSignals {
    /// Students dropped out or never enrolled.
    pub(super) students: Vec<Student>,
    /// Schooling expenses of the year.
    pub(super) schooling: Vec<Schooling>,
}
