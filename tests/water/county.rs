//! The published county figure, loaded through ImportAssessments.

use super::*;

/// The published 2019 figure (DOMAIN.md §1): 19,139 households / 49,494 people, all with
/// drinking-water safety resolved, seasonal shortages checked. Loaded through
/// ImportAssessments and read back from SummarizeByRegion.
#[tokio::test]
async fn the_county_seed_comes_back_exactly_from_the_summary() {
    const HOUSEHOLDS: u32 = 19_139;
    const PEOPLE: i64 = 49_494;
    // 11,216 households of three and 7,923 of two make the published people count.
    const OF_THREE: u32 = 11_216;
    let svc = start().await;
    let mut c = client(&svc, BUREAU).await;
    for t in TOWNSHIPS {
        create_scheme(&mut c, &format!("GC-{t}"), &[&format!("{t}201")]).await;
    }
    let mut all: Vec<Assessment> = Vec::new();
    // (households, people) expected per verdict class, from what is generated.
    let (mut safe_h, mut safe_p, mut basic_h, mut basic_p, mut seasonal_h, mut seasonal_p) =
        (0i64, 0i64, 0i64, 0i64, 0i64, 0i64);
    let mut people_total = 0i64;
    for n in 0..HOUSEHOLDS {
        let t = TOWNSHIPS[(n % 11) as usize];
        let village = format!("{t}{:03}", 201 + (n / 11) % 30);
        let people = if n < OF_THREE { 3 } else { 2 };
        people_total += i64::from(people);
        let id = format!("HH{n:06}");
        let is_basic = n % 3 == 0;
        let make = |on: Date| {
            if is_basic {
                basic(&id, &village, people, on)
            } else {
                safe(&id, &village, people, &format!("GC-{t}"), on)
            }
        };
        all.push(make(date(2019, 6, 1)));
        if n % 10 == 0 {
            // A dry-season check, later and still fine: recorded, flagged, no shortage.
            let mut dry = make(date(2019, 8, 15));
            dry.seasonal_check = true;
            all.push(dry);
            seasonal_h += 1;
            seasonal_p += i64::from(people);
        }
        if is_basic {
            basic_h += 1;
            basic_p += i64::from(people);
        } else {
            safe_h += 1;
            safe_p += i64::from(people);
        }
    }
    assert_eq!(
        people_total, PEOPLE,
        "the generator makes the published people count"
    );
    let batches: Vec<ImportAssessmentsRequest> = all
        .chunks(2000)
        .enumerate()
        .map(|(i, chunk)| ImportAssessmentsRequest {
            request_id: format!("seed-{i}"),
            assessments: chunk.to_vec(),
        })
        .collect();
    let n_batches = batches.len() as i32;
    let started = std::time::Instant::now();
    let done = import(&mut c, batches).await.unwrap();
    let elapsed = started.elapsed();
    eprintln!(
        "imported {} assessments in {elapsed:?} ({:.0}/s)",
        all.len(),
        all.len() as f64 / elapsed.as_secs_f64()
    );
    assert_eq!(done.batches_committed, n_batches);
    assert_eq!(done.assessments_imported, all.len() as i64);

    let started = std::time::Instant::now();
    let s = summarize(&mut c, "420625", RegionLevel::Township).await;
    eprintln!(
        "SummarizeByRegion(420625, township) took {:?}",
        started.elapsed()
    );
    let t = s.total.unwrap();
    assert_eq!((t.households, t.people), (i64::from(HOUSEHOLDS), PEOPLE));
    assert_eq!((t.safe_households, t.safe_people), (safe_h, safe_p));
    assert_eq!(
        (t.basically_safe_households, t.basically_safe_people),
        (basic_h, basic_p)
    );
    assert_eq!(
        t.safe_households + t.basically_safe_households,
        i64::from(HOUSEHOLDS),
        "all guaranteed"
    );
    assert_eq!((t.unsafe_households, t.unsafe_people), (0, 0));
    assert_eq!(
        [
            t.quantity_failed_households,
            t.quality_failed_households,
            t.convenience_failed_households,
            t.supply_guarantee_failed_households
        ],
        [0; 4]
    );
    assert_eq!(
        (t.seasonal_checked_households, t.seasonal_checked_people),
        (seasonal_h, seasonal_p)
    );
    assert_eq!(t.seasonal_shortage_households, 0);
    assert_eq!(s.groups.len(), TOWNSHIPS.len());
    let by_group: i64 = s.groups.iter().map(|g| g.people).sum();
    assert_eq!(by_group, PEOPLE);
    // A village-level summary of one township adds up to that township's group.
    let v = summarize(&mut c, TOWNSHIPS[0], RegionLevel::Village).await;
    assert_eq!(v.groups.len(), 30);
    assert_eq!(v.total.unwrap().households, s.groups[0].households);
    svc.stop().await.unwrap();
}
