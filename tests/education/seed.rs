//! The county's published figures (DOMAIN.md §1) loaded through the RPCs and read back
//! from the summary and the exceptions.

use super::*;

/// Villages of the seed, spread over the county's townships.
const SEED_VILLAGES: [&str; 6] = [
    "420625100201",
    "420625101203",
    "420625102205",
    "420625104210",
    "420625108220",
    "420625200230",
];

#[tokio::test]
async fn seed_figures_load_through_the_rpcs_and_come_back_from_the_summary() {
    let svc = start().await;
    let mut c = client(&svc, BUREAU).await;
    let p = policy();
    let village = |n: u32| SEED_VILLAGES[n as usize % SEED_VILLAGES.len()];
    // 97 taught at home, 5 placed nearby, 1,088 outside the county, 230 incoming.
    let mut all = Vec::new();
    let home: Vec<Student> = (0..97)
        .map(|n| {
            let mut s = student(n, village(n), StudentStatus::HomeTeaching);
            s.school.clear();
            s
        })
        .collect();
    let nearby: Vec<Student> = (97..102)
        .map(|n| student(n, village(n), StudentStatus::InCounty))
        .collect();
    let outside: Vec<Student> = (102..1190)
        .map(|n| {
            let st = if n % 7 == 0 {
                StudentStatus::OutsideProvince
            } else {
                StudentStatus::OutsideCounty
            };
            student(n, village(n), st)
        })
        .collect();
    let incoming: Vec<Student> = (0..230)
        .map(|n| {
            let mut s = student(n, village(n), StudentStatus::InCounty);
            s.resident_id = child_id("420606", n, 7 + n % 8);
            s.household_id = format!("XC{n:06}");
            s.incoming = true;
            s.grade = (1 + n % 9) as i32;
            s.boarding = n % 2 == 0;
            s
        })
        .collect();
    all.extend(home.iter().cloned());
    all.extend(nearby.iter().cloned());
    all.extend(outside.iter().cloned());
    all.extend(incoming.iter().cloned());
    let batches: Vec<ImportStudentsRequest> = all
        .chunks(500)
        .enumerate()
        .map(|(i, ch)| batch(&format!("seed-{i}"), ch.to_vec()))
        .collect();
    let r = c
        .import_students(futures::stream::iter(batches))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.students_imported, 1420);

    // Every outside student gets a letter; two in three have replied; some letters were
    // sent long enough ago to be overdue without a reply.
    let mut reqs = Vec::new();
    let mut confirmed = 0;
    let mut overdue = 0;
    for (i, s) in outside.iter().enumerate() {
        let old = i % 50 == 0;
        let replied = i % 3 != 0;
        confirmed += i64::from(replied);
        overdue += i64::from(old && !replied);
        let sent = if old {
            days_ago(u64::from(p.letter_reply_days) + 15)
        } else {
            days_ago(5)
        };
        reqs.push((
            SendLetterRequest {
                request_id: format!("letter-{i}"),
                resident_id: s.resident_id.clone(),
                letter: Some(Letter {
                    number: format!("谷教函〔2019〕{i:04}"),
                    sent_on: d(sent),
                    recipient: "接收地教育局".into(),
                    ..Default::default()
                }),
            },
            replied.then(|| RecordLetterReplyRequest {
                request_id: format!("reply-{i}"),
                number: format!("谷教函〔2019〕{i:04}"),
                reply_on: d(today()),
                proof_ref: String::new(),
            }),
        ));
    }
    let cc = c.clone();
    futures::stream::iter(reqs)
        .for_each_concurrent(8, |(send, reply)| {
            let mut c = cc.clone();
            async move {
                c.send_letter(send).await.unwrap();
                if let Some(r) = reply {
                    c.record_letter_reply(r).await.unwrap();
                }
            }
        })
        .await;
    // One visit for each child taught at home.
    futures::stream::iter(home.iter().enumerate())
        .for_each_concurrent(8, |(i, s)| {
            let mut c = cc.clone();
            async move {
                c.record_visit(RecordVisitRequest {
                    request_id: format!("visit-{i}"),
                    resident_id: s.resident_id.clone(),
                    visit: visit(i64::from(p.home_teaching.hours_per_visit)),
                })
                .await
                .unwrap();
            }
        })
        .await;
    // The living allowance for every incoming student, at the policy's amount.
    let mut incoming_fen = 0;
    let mut pays = Vec::new();
    for (i, s) in incoming.iter().enumerate() {
        let stage = stage_of_grade(s.grade as u8, &p).unwrap_or(Stage::Primary);
        let amount = living_allowance(stage, s.boarding, &p);
        incoming_fen += amount;
        pays.push(RecordSubsidyRequest {
            request_id: format!("pay-{i}"),
            resident_id: s.resident_id.clone(),
            subsidy: Some(Subsidy {
                programme: SubsidyProgramme::LivingAllowance as i32,
                amount_fen: amount,
                paid_on: d(today()),
                days: 0,
                school_year: 0,
            }),
        });
    }
    futures::stream::iter(pays)
        .for_each_concurrent(8, |r| {
            let mut c = cc.clone();
            async move {
                c.record_subsidy(r).await.unwrap();
            }
        })
        .await;
    // The survey campaign: 102 unable to attend for physical reasons, 5 + 97.
    let findings = vec![
        SurveyFinding {
            region_code: SEED_VILLAGES[0].into(),
            children_surveyed: 3000,
            unable_to_attend_physical: 60,
            placed_nearby: 3,
            taught_at_home: 57,
        },
        SurveyFinding {
            region_code: SEED_VILLAGES[1].into(),
            children_surveyed: 2500,
            unable_to_attend_physical: 42,
            placed_nearby: 2,
            taught_at_home: 40,
        },
    ];
    c.record_survey(RecordSurveyRequest {
        request_id: "survey-2019".into(),
        survey: Some(Survey {
            survey_id: "2019-控辍保学大排查".into(),
            name: "2019年控辍保学大排查".into(),
            conducted_on: d(days_ago(30)),
            findings,
        }),
    })
    .await
    .unwrap();

    let s = c
        .summarize_by_region(SummarizeByRegionRequest {
            region_prefix: "420625".into(),
            group_by: RegionLevel::Township as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let t = s.total.unwrap();
    assert_eq!(
        (
            t.survey_unable_to_attend_physical,
            t.survey_placed_nearby,
            t.survey_taught_at_home,
            t.survey_children_surveyed
        ),
        (102, 5, 97, 5500)
    );
    assert_eq!(t.home_teaching, 97);
    assert_eq!(t.in_county, 5 + 230);
    assert_eq!(t.outside_county + t.outside_province, 1088);
    assert_eq!(
        t.outside_province,
        outside
            .iter()
            .filter(|s| s.status == StudentStatus::OutsideProvince as i32)
            .count() as i64
    );
    assert_eq!(t.outside_with_letter, 1088);
    assert_eq!(t.letters_sent, 1088);
    assert_eq!(t.letters_confirmed, confirmed);
    assert_eq!(t.letters_overdue, overdue);
    assert_eq!(t.incoming_students, 230);
    assert_eq!(t.incoming_with_subsidy, 230);
    assert_eq!(t.incoming_subsidy_fen, incoming_fen);
    assert_eq!(t.subsidy_fen, incoming_fen);
    assert_eq!(t.students, 1420);
    assert_eq!(t.guaranteed, 97 + 5 + confirmed + 230);
    assert_eq!(t.not_guaranteed, 1088 - confirmed);
    assert_eq!(t.not_guaranteed_without_case, 1088 - confirmed);
    assert_eq!(s.survey_id, "2019-控辍保学大排查");
    // Groups are townships in code order and add up to the total.
    let codes: Vec<&str> = s.groups.iter().map(|g| g.region_code.as_str()).collect();
    let mut want: Vec<&str> = SEED_VILLAGES.iter().map(|v| &v[..9]).collect();
    want.sort();
    assert_eq!(codes, want);
    assert_eq!(s.groups.iter().map(|g| g.students).sum::<i64>(), 1420);
    // By village, one township.
    let v = c
        .summarize_by_region(SummarizeByRegionRequest {
            region_prefix: "420625100".into(),
            group_by: RegionLevel::Village as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(v.groups.len(), 1);
    assert_eq!(v.groups[0].region_code, SEED_VILLAGES[0]);
    assert_eq!(v.total.unwrap().survey_unable_to_attend_physical, 60);

    // ListExceptions pages through the not-guaranteed students and the overdue letters.
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = c
            .list_exceptions(ListExceptionsRequest {
                region_prefix: "420625".into(),
                page_size: 100,
                page_token: token.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        seen.extend(page.exceptions);
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    let by_kind = |k: ExceptionKind| seen.iter().filter(|e| e.kind == k as i32).count() as i64;
    assert_eq!(
        by_kind(ExceptionKind::NotGuaranteedNoCase),
        1088 - confirmed
    );
    assert_eq!(by_kind(ExceptionKind::LetterOverdue), overdue);
    assert_eq!(by_kind(ExceptionKind::HomeTeachingShortfall), 0);
    // A year on, each home-taught child's school year ended short of the minimum hours.
    let next_year = today()
        .with_year(today().year() + 1)
        .unwrap_or(today() + Days::new(366));
    let short = c
        .list_exceptions(ListExceptionsRequest {
            region_prefix: "420625".into(),
            as_of: d(next_year),
            page_size: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .exceptions;
    let shortfalls: Vec<_> = short
        .iter()
        .filter(|e| e.kind == ExceptionKind::HomeTeachingShortfall as i32)
        .collect();
    assert_eq!(shortfalls.len(), 97);
    let per_visit = i64::from(p.home_teaching.hours_per_visit);
    let min = i64::from(p.home_teaching.min_hours_per_school_year);
    assert!(
        shortfalls
            .iter()
            .all(|e| e.missing_hours == min - per_visit)
    );
    // The county's dataset, written by concurrent RPCs, leaves the rollups right.
    assert_eq!(svc.hosted.db().verify_rollups().await.unwrap(), []);
    svc.stop().await.unwrap();
}
