//! The classification of calls and the limiter, without a server.

use std::time::{Duration, Instant};

use super::*;

const SPEC: ServiceSpec = ServiceSpec {
    name: "registry",
    grpc_name: "xk.registry.v1.RegistryService",
    default_port: 50051,
    owner: None,
    read_methods: &["GetHousehold", "ListHouseholds"],
};

fn bounds(depth: usize, running: usize, wait_ms: u64) -> QueueBounds {
    QueueBounds {
        depth,
        running,
        wait: Duration::from_millis(wait_ms),
    }
}

#[test]
fn methods_not_listed_as_reads_are_writes() {
    let of = |path| CallClass::of(&SPEC, path);
    assert_eq!(
        of("/xk.registry.v1.RegistryService/GetHousehold"),
        CallClass::Read
    );
    assert_eq!(
        of("/xk.registry.v1.RegistryService/ListHouseholds"),
        CallClass::Read
    );
    assert_eq!(
        of("/xk.registry.v1.RegistryService/CreateHousehold"),
        CallClass::Write
    );
    assert_eq!(
        of("/xk.registry.v1.RegistryService/ImportHouseholds"),
        CallClass::Write
    );
    assert_eq!(of("/grpc.health.v1.Health/Check"), CallClass::Exempt);
    assert_eq!(of("/grpc.health.v1.Health/Watch"), CallClass::Exempt);
    assert_eq!(
        of("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"),
        CallClass::Read
    );
    // Another service's method is not served here (UNIMPLEMENTED): cheap, never a write.
    assert_eq!(
        of("/xk.water.v1.WaterService/RecordAssessment"),
        CallClass::Read
    );
    assert_eq!(of("/no-method"), CallClass::Read);
}

#[tokio::test]
async fn past_the_depth_a_call_is_refused_without_waiting() {
    let queue = ClassQueue::new(CallClass::Write, bounds(2, 1, 10_000));
    let first = queue.admit().await.unwrap();
    // The second is admitted and waits for the running slot the first holds.
    let waiting = {
        let queue = queue.clone();
        tokio::spawn(async move { queue.admit().await.map(|a| a.waited) })
    };
    while queue.depth.available_permits() != 0 {
        tokio::task::yield_now().await;
    }
    let asked = Instant::now();
    let (refused, waited) = queue.admit().await.unwrap_err();
    assert_eq!(refused, Overloaded::QueueFull(CallClass::Write));
    assert_eq!(waited, Duration::ZERO);
    assert!(
        asked.elapsed() < Duration::from_millis(50),
        "{:?}",
        asked.elapsed()
    );
    drop(first);
    let waited = waiting.await.unwrap().unwrap();
    assert!(waited < Duration::from_secs(10), "{waited:?}");
    // Both permits of the waiting call went back when it ended.
    assert_eq!(queue.depth.available_permits(), 2);
    assert_eq!(queue.running.available_permits(), 1);
}

#[tokio::test]
async fn an_admitted_call_waits_at_most_the_bound() {
    let queue = ClassQueue::new(CallClass::Read, bounds(4, 1, 30));
    let _running = queue.admit().await.unwrap();
    let (refused, waited) = queue.admit().await.unwrap_err();
    assert_eq!(
        refused,
        Overloaded::Waited(CallClass::Read, Duration::from_millis(30))
    );
    assert!(waited >= Duration::from_millis(30), "{waited:?}");
    assert!(waited < Duration::from_secs(5), "{waited:?}");
    assert!(
        refused
            .to_string()
            .contains("no read slot free within 30 ms")
    );
    // The refused call gave its place in the queue back.
    assert_eq!(queue.depth.available_permits(), 3);
}

#[test]
fn bounds_are_raised_to_one_call_and_running_fits_in_the_depth() {
    let queue = ClassQueue::new(CallClass::Write, bounds(0, 0, 0));
    assert_eq!(queue.depth.available_permits(), 1);
    assert_eq!(queue.running.available_permits(), 1);
    let queue = ClassQueue::new(CallClass::Write, bounds(3, 10, 0));
    assert_eq!(queue.running.available_permits(), 3);
}

#[tokio::test]
async fn a_full_write_queue_leaves_reads_admitted_and_the_service_cap_holds_both() {
    let queues = Queues {
        service: Arc::new(Semaphore::new(3)),
        write: ClassQueue::new(CallClass::Write, bounds(1, 1, 0)),
        read: ClassQueue::new(CallClass::Read, bounds(8, 8, 0)),
        waits: None,
    };
    let _write = queues.admit(CallClass::Write).await.unwrap();
    let refused = queues.admit(CallClass::Write).await.unwrap_err();
    assert_eq!(refused, Overloaded::QueueFull(CallClass::Write));
    let _read1 = queues.admit(CallClass::Read).await.unwrap();
    let _read2 = queues.admit(CallClass::Read).await.unwrap();
    let capped = queues.admit(CallClass::Read).await.unwrap_err();
    assert_eq!(capped, Overloaded::Service);
}
