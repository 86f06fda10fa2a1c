//! The per-village rollups (issue 16): every write RPC that moves a counted figure, driven
//! over the wire, leaves them equal to the rows; the summary reads the same figures from
//! the rollups as from the rows at every region level and every date on or after the
//! floor; the RPC answers what the rows say; a date before the floor, or rollups turned
//! off, reads the rows.

use sea_orm::{ConnectionTrait, Statement};
use xk_education::store::summary::{self, SummaryQuery};
use xk_runtime::Db;
use xk_runtime::rollup::Source;

use super::*;

/// Another village of 石花镇 (V2's township).
const V3: &str = "420625101203";
/// A village of another township.
const V4: &str = "420625200230";

/// The survey recorded below.
const SURVEY: &str = "2026-rollup-survey";

/// The store's figures from `source` for `prefix` grouped by `group_len` digits.
async fn figures(
    db: &Db,
    source: Source,
    (prefix, group_len): (&str, usize),
    (as_of, overdue_before): (NaiveDate, NaiveDate),
    survey: Option<&str>,
) -> Vec<RegionCounts> {
    let q = SummaryQuery {
        prefix: prefix.into(),
        group_len,
        as_of,
        overdue_before,
        survey_id: survey.map(str::to_string),
    };
    summary::summarize(db.conn(), source, &q).await.unwrap()
}

/// The rows of a table, read through the service's own connection.
async fn rows_in(db: &Db, table: &str) -> i64 {
    let conn = db.conn();
    let sql = format!("SELECT CAST(COUNT(*) AS BIGINT) AS c FROM {table}");
    let row = conn
        .query_one_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "c").unwrap()
}

/// The living allowance of a primary day pupil (every student of [`student`] is one).
fn allowance() -> i64 {
    living_allowance(Stage::Primary, false, &policy())
}

/// A student from outside the county who studies in it (incoming).
fn incoming(n: u32, village: &str) -> Student {
    let mut s = student(n, village, StudentStatus::InCounty);
    s.resident_id = child_id("420606", n, 10);
    s.household_id = format!("XC{n:06}");
    s.incoming = true;
    s
}

async fn letter(c: &mut Client, rid: &str, id: &str, number: &str, sent: NaiveDate) {
    c.send_letter(SendLetterRequest {
        request_id: rid.into(),
        resident_id: id.into(),
        letter: Some(Letter {
            number: number.into(),
            sent_on: d(sent),
            recipient: "接收地教育局".into(),
            ..Default::default()
        }),
    })
    .await
    .unwrap();
}

async fn pay(c: &mut Client, rid: &str, id: &str, amount_fen: i64) {
    c.record_subsidy(RecordSubsidyRequest {
        request_id: rid.into(),
        resident_id: id.into(),
        subsidy: Some(Subsidy {
            programme: SubsidyProgramme::LivingAllowance as i32,
            amount_fen,
            paid_on: d(today()),
            ..Default::default()
        }),
    })
    .await
    .unwrap();
}

/// Changes a stored student through UpdateStudent with its current etag.
async fn update(c: &mut Client, rid: &str, id: &str, change: impl FnOnce(&mut Student)) {
    let mut s = get(c, id).await.student.unwrap();
    change(&mut s);
    c.update_student(UpdateStudentRequest {
        request_id: rid.into(),
        student: Some(s),
    })
    .await
    .unwrap();
}

/// Every write RPC that moves a counted figure, once or more; returns the ids of the
/// students it made, by role.
async fn write_everything(c: &mut Client) -> Written {
    use StudentStatus as S;
    let p = policy();
    // CreateStudent, one per role.
    let made = |n: u32, village: &str, status: S| {
        let s = student(n, village, status);
        (s.resident_id.clone(), s)
    };
    let (staying, s) = made(1, V1, S::InCounty);
    create(c, "create-1", s).await.unwrap();
    let (mover, s) = made(2, V1, S::InCounty);
    create(c, "create-2", s).await.unwrap();
    let (old_letter, s) = made(3, V1, S::OutsideCounty);
    create(c, "create-3", s).await.unwrap();
    let (proved, s) = made(4, V2, S::OutsideCounty);
    create(c, "create-4", s).await.unwrap();
    let (replied, s) = made(5, V2, S::OutsideProvince);
    create(c, "create-5", s).await.unwrap();
    let (home, mut s) = made(6, V3, S::HomeTeaching);
    s.school.clear();
    create(c, "create-6", s).await.unwrap();
    let (dropped, s) = made(7, V3, S::DroppedOut);
    create(c, "create-7", s).await.unwrap();
    let (deferred, mut s) = made(8, V4, S::Deferral);
    s.grade = 0;
    s.deferral = Some(Deferral {
        approved_on: d(days_ago(10)),
        expires_on: d(days_ago(10)
            .checked_add_months(Months::new(p.deferral_max_months))
            .unwrap()),
        approval_ref: "谷教缓〔2026〕8号".into(),
    });
    create(c, "create-8", s).await.unwrap();
    let arrived = incoming(9, V2);
    let arrived_id = arrived.resident_id.clone();
    create(c, "create-9", arrived).await.unwrap();

    // ImportStudents: two batches over every village, incoming students among them.
    let imported: Vec<Student> = (20..32)
        .map(|n| match n % 4 {
            0 => student(n, V1, S::InCounty),
            1 => student(n, V2, S::NeverEnrolled),
            2 => incoming(n, V3),
            _ => student(n, V4, S::SpecialSchool),
        })
        .collect();
    let r = c
        .import_students(futures::stream::iter(vec![
            batch("import-0", imported[..6].to_vec()),
            batch("import-1", imported[6..].to_vec()),
        ]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.students_imported, 12);

    // SendLetter: one sent before the rollups' floor and never answered (overdue), one
    // answered with a proof, one answered by a reply dated today.
    letter(
        c,
        "letter-3",
        &old_letter,
        "谷教函〔2026〕003",
        days_ago(150),
    )
    .await;
    letter(c, "letter-4", &proved, "谷教函〔2026〕004", days_ago(5)).await;
    let late = days_ago(u64::from(p.letter_reply_days) + 15);
    letter(c, "letter-5", &replied, "谷教函〔2026〕005", late).await;
    // RecordLetterReply, with a proof and with a date.
    for (rid, number, reply_on, proof_ref) in [
        ("reply-4", "谷教函〔2026〕004", None, "回执-004"),
        ("reply-5", "谷教函〔2026〕005", d(today()), ""),
    ] {
        c.record_letter_reply(RecordLetterReplyRequest {
            request_id: rid.into(),
            number: number.into(),
            reply_on,
            proof_ref: proof_ref.into(),
        })
        .await
        .unwrap();
    }

    // RecordVisit: home teaching guaranteed until the school year's end.
    c.record_visit(RecordVisitRequest {
        request_id: "visit-6".into(),
        resident_id: home.clone(),
        visit: visit(i64::from(p.home_teaching.hours_per_visit)),
    })
    .await
    .unwrap();

    // OpenCase, AddFollowUp, then the child is back (UpdateStudent) and CloseCase.
    let case = c
        .open_case(OpenCaseRequest {
            request_id: "case-7".into(),
            resident_id: dropped.clone(),
            opened_on: d(days_ago(20)),
        })
        .await
        .unwrap()
        .into_inner()
        .return_case
        .unwrap();
    c.add_follow_up(AddFollowUpRequest {
        request_id: "follow-7".into(),
        case_id: case.case_id.clone(),
        follow_up: Some(FollowUp {
            date: d(days_ago(10)),
            by: "李老师".into(),
            note: "家访".into(),
        }),
    })
    .await
    .unwrap();
    update(c, "back-7", &dropped, |s| s.status = S::InCounty as i32).await;
    c.close_case(CloseCaseRequest {
        request_id: "close-7".into(),
        case_id: case.case_id.clone(),
        closed_on: d(today()),
    })
    .await
    .unwrap();
    // A second case left open, on a never-enrolled child from the import.
    c.open_case(OpenCaseRequest {
        request_id: "case-21".into(),
        resident_id: imported[1].resident_id.clone(),
        opened_on: d(days_ago(3)),
    })
    .await
    .unwrap();

    // UpdateStudent: a status change, and a move to another township's village (both
    // villages' totals change).
    update(c, "drop-1", &staying, |s| s.status = S::DroppedOut as i32).await;
    update(c, "move-2", &mover, |s| s.village_code = V4.into()).await;

    // RecordSubsidy: an incoming student and a local one, one of them twice.
    pay(c, "pay-9", &arrived_id, allowance() / 2).await;
    pay(c, "pay-9b", &arrived_id, allowance() / 4).await;
    pay(c, "pay-22", &imported[2].resident_id, allowance() / 2).await;
    pay(c, "pay-1", &imported[0].resident_id, allowance() / 3).await;

    // RecordSurvey: the findings the summary reads as they are.
    c.record_survey(RecordSurveyRequest {
        request_id: "survey".into(),
        survey: Some(Survey {
            survey_id: SURVEY.into(),
            name: "大排查".into(),
            conducted_on: d(days_ago(30)),
            findings: [(V1, 40), (V3, 25)]
                .into_iter()
                .map(|(v, surveyed)| SurveyFinding {
                    region_code: v.into(),
                    children_surveyed: surveyed,
                    unable_to_attend_physical: 2,
                    placed_nearby: 1,
                    taught_at_home: 1,
                })
                .collect(),
        }),
    })
    .await
    .unwrap();

    // RecordSchoolingExpense counts in no summary figure: written anyway, to show it
    // leaves the rollups alone and right.
    c.record_schooling_expense(RecordSchoolingExpenseRequest {
        request_id: "expense".into(),
        expense: Some(SchoolingExpense {
            household_id: "HH000003".into(),
            village_code: V1.into(),
            resident_id: old_letter.clone(),
            year: today().year() - 1,
            out_of_pocket_fen: 120_000,
        }),
    })
    .await
    .unwrap();
    Written { deferred, home }
}

/// Students whose guarantee lapses by itself.
struct Written {
    /// Deferred, until the deferral expires.
    deferred: String,
    /// Taught at home, until the school year ends.
    home: String,
}

#[tokio::test]
async fn every_write_keeps_the_rollups_equal_to_the_rows() {
    let svc = start().await;
    let mut c = client(&svc, BUREAU).await;
    let written = write_everything(&mut c).await;
    let db = svc.hosted.db();
    assert_eq!(db.verify_rollups().await.unwrap(), []);
    let floor = db.rollups().unwrap().floor(db.conn()).await.unwrap();
    let reply = Days::new(u64::from(policy().letter_reply_days));

    // Folded and grouped: fewer rollup rows than students (the in-county children of a
    // village are one row), and a row for every letter day at most.
    assert_eq!(rows_in(db, "students").await, 21);
    assert!(rows_in(db, "students_rollup").await < 21);
    assert!(rows_in(db, "letters_rollup").await <= rows_in(db, "letters").await);

    // The last days the stored guarantees hold, so dates around them are compared too.
    let deferred = get(&mut c, &written.deferred).await.student.unwrap();
    let until = deferred
        .deferral
        .and_then(|d| d.expires_on)
        .map(|d| xk_contracts::convert::date_from_pb(&d).unwrap())
        .unwrap();
    let year_end = xk_education::domain::scope::school_year(today(), &policy()).end;
    assert!(get(&mut c, &written.home).await.student.unwrap().guaranteed);
    let mut dates = vec![
        (floor, floor),
        (floor + reply, floor),
        (today(), today() - reply),
        (today(), floor),
        (year_end, year_end - reply),
        (year_end.succ_opt().unwrap(), year_end - reply),
        (until, until - reply),
        (until.succ_opt().unwrap(), until - reply),
    ];
    dates.sort();
    let regions = [
        ("420625", 6),
        ("420625", 9),
        ("420625", 12),
        ("420625101", 9),
        ("420625101", 12),
        (V2, 12),
        (V4, 12),
        ("420625999", 12),
    ];
    for region in regions {
        for when in &dates {
            for survey in [None, Some(SURVEY)] {
                let rows = figures(db, Source::Rows, region, *when, survey).await;
                let rollups = figures(db, Source::Rollups, region, *when, survey).await;
                assert_eq!(rollups, rows, "{region:?} at {when:?}, survey {survey:?}");
            }
        }
    }

    // The figures compared are not all zero: the county at today.
    let today_county = |g: &[RegionCounts]| summary::total("420625", g);
    let at = |as_of: NaiveDate| (as_of, as_of - reply);
    let now = today_county(
        &figures(
            db,
            Source::Rollups,
            ("420625", 9),
            at(today()),
            Some(SURVEY),
        )
        .await,
    );
    assert_eq!(now.students, 21);
    assert_eq!(
        (now.letters_sent, now.letters_confirmed, now.letters_overdue),
        (3, 2, 1)
    );
    assert_eq!((now.dropped_out, now.open_cases), (1, 1));
    assert_eq!(now.outside_with_letter, 3);
    assert_eq!(now.incoming_students, 4);
    assert_eq!(now.students_with_subsidy, 3);
    let fen = allowance() / 2 + allowance() / 4 + allowance() / 2 + allowance() / 3;
    assert_eq!(now.subsidy_fen, fen);
    assert_eq!(now.incoming_subsidy_fen, fen - allowance() / 3);
    assert_eq!(now.survey_children_surveyed, 65);
    // A guarantee that lapses by itself is counted until its last day only.
    let lapsed = today_county(
        &figures(
            db,
            Source::Rollups,
            ("420625", 9),
            at(until.succ_opt().unwrap()),
            None,
        )
        .await,
    );
    assert!(lapsed.guaranteed < now.guaranteed, "{lapsed:?}");

    // The RPC at today reads the rollups (both its dates are on or after the floor) and
    // answers what the rows say, by township and by village.
    assert_eq!(
        db.summary_source(&[today(), today() - reply])
            .await
            .unwrap(),
        Source::Rollups
    );
    for (prefix, level, len) in [
        ("420625", RegionLevel::Township, 9),
        ("420625101", RegionLevel::Village, 12),
    ] {
        let r = c
            .summarize_by_region(SummarizeByRegionRequest {
                region_prefix: prefix.into(),
                group_by: level as i32,
                as_of: d(today()),
                survey_id: SURVEY.into(),
            })
            .await
            .unwrap()
            .into_inner();
        let rows = figures(db, Source::Rows, (prefix, len), at(today()), Some(SURVEY)).await;
        assert_eq!(r.total, Some(summary::total(prefix, &rows)));
        assert_eq!(r.groups, rows, "{prefix}");
    }

    // Which source answers: the rollups from the floor on, the rows before it.
    let before = floor.pred_opt().unwrap();
    assert_eq!(db.summary_source(&[floor]).await.unwrap(), Source::Rollups);
    assert_eq!(
        db.summary_source(&[today(), floor]).await.unwrap(),
        Source::Rollups
    );
    assert_eq!(db.summary_source(&[before]).await.unwrap(), Source::Rows);
    assert_eq!(
        db.summary_source(&[today(), before]).await.unwrap(),
        Source::Rows
    );
    // An RPC dated before the floor still answers the rows' figures.
    let old = before - Days::new(40);
    let r = c
        .summarize_by_region(SummarizeByRegionRequest {
            region_prefix: "420625".into(),
            group_by: RegionLevel::Township as i32,
            as_of: d(old),
            survey_id: SURVEY.into(),
        })
        .await
        .unwrap()
        .into_inner();
    let rows = figures(db, Source::Rows, ("420625", 9), at(old), Some(SURVEY)).await;
    assert_eq!(r.groups, rows);
    svc.stop().await.unwrap();
}

#[tokio::test]
async fn with_the_rollups_off_the_summary_reads_the_rows() {
    let settings = xk_runtime::ServeSettings {
        rollups: false,
        ..Default::default()
    };
    let svc = TestService::start_with(xk_education::SPEC, settings)
        .await
        .unwrap();
    let mut c = client(&svc, BUREAU).await;
    create(&mut c, "off-1", student(1, V1, StudentStatus::InCounty))
        .await
        .unwrap();
    let db = svc.hosted.db();
    assert!(db.rollups().is_none());
    assert!(db.verify_rollups().await.is_err(), "no rollups to verify");
    assert_eq!(db.summary_source(&[today()]).await.unwrap(), Source::Rows);
    let r = c
        .summarize_by_region(SummarizeByRegionRequest {
            region_prefix: "420625".into(),
            group_by: RegionLevel::Township as i32,
            as_of: d(today()),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.total.unwrap().in_county, 1);
    svc.stop().await.unwrap();
}
