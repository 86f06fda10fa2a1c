//! ImportStudents: a batch is checked whole, committed in one transaction, and replayed
//! when resent with the same request id.

use super::*;

#[tokio::test]
async fn import_rejects_a_bad_batch_whole_and_replays_committed_ones() {
    let svc = start().await;
    let mut c = client(&svc, BUREAU).await;
    let good: Vec<Student> = (0..3)
        .map(|n| student(n, V1, StudentStatus::InCounty))
        .collect();
    let mut second: Vec<Student> = (3..6)
        .map(|n| student(n, V2, StudentStatus::OutsideCounty))
        .collect();
    let fixed = second.clone();
    second[1].resident_id = child_id("420625", 4, 25); // out of scope
    second[2].village_code = "4206251".into(); // malformed
    let err = c
        .import_students(futures::stream::iter(vec![
            batch("b0", good.clone()),
            batch("b1", second),
        ]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
    // Malformed values win (the runtime's one mapping): the malformed field is named; the
    // rule broken beside it is answered once the batch is well-formed (below).
    assert_eq!(bad_fields(&err), ["batch[1].students[2].village_code"]);
    assert_eq!(
        count(&mut c).await,
        3,
        "batch 0 committed, batch 1 not at all"
    );
    // Only the rule broken: FAILED_PRECONDITION naming the record's field.
    let mut rule = fixed.clone();
    rule[1].resident_id = child_id("420625", 4, 25);
    let err = c
        .import_students(futures::stream::iter(vec![batch("b1", rule)]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
    assert_eq!(
        precondition_subject(&err),
        "batch[0].students[1].resident_id"
    );
    assert_eq!(rule_id(&err), "NOT_COMPULSORY_AGE");
    assert_eq!(count(&mut c).await, 3);
    // Resend everything with the same ids: batch 0 is replayed, batch 1 committed.
    let r = c
        .import_students(futures::stream::iter(vec![
            batch("b0", good),
            batch("b1", fixed),
        ]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (r.batches_committed, r.batches_replayed, r.students_imported),
        (1, 1, 3)
    );
    assert_eq!(count(&mut c).await, 6);
    svc.stop().await.unwrap();
}
