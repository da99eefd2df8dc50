use super::*;

fn tracker(policy: RestartPolicy) -> RestartTracker {
    RestartTracker::new(
        policy,
        Duration::from_millis(100),
        Duration::from_millis(350),
        3,
        Duration::from_secs(10),
    )
}

#[test]
fn policies_decide_which_exits_restart() {
    let now = Instant::now();
    assert_eq!(
        tracker(RestartPolicy::Never).on_exit(Exit::Code(1), now),
        Decision::Stay
    );
    assert_eq!(
        tracker(RestartPolicy::OnFailure).on_exit(Exit::Code(0), now),
        Decision::Stay
    );
    assert!(matches!(
        tracker(RestartPolicy::OnFailure).on_exit(Exit::Code(2), now),
        Decision::RestartAfter(_)
    ));
    assert!(matches!(
        tracker(RestartPolicy::OnFailure).on_exit(Exit::Signal(9), now),
        Decision::RestartAfter(_)
    ));
    assert!(matches!(
        tracker(RestartPolicy::Always).on_exit(Exit::Code(0), now),
        Decision::RestartAfter(_)
    ));
}

#[test]
fn backoff_doubles_up_to_the_maximum_then_the_limit_gives_up() {
    let mut t = tracker(RestartPolicy::Always);
    let start = Instant::now();
    let at = |ms: u64| start + Duration::from_millis(ms);
    assert_eq!(
        t.on_exit(Exit::Code(1), at(0)),
        Decision::RestartAfter(Duration::from_millis(100))
    );
    assert_eq!(
        t.on_exit(Exit::Code(1), at(200)),
        Decision::RestartAfter(Duration::from_millis(200))
    );
    assert_eq!(
        t.on_exit(Exit::Code(1), at(500)),
        Decision::RestartAfter(Duration::from_millis(350))
    );
    assert!(
        matches!(t.on_exit(Exit::Code(1), at(900)), Decision::GiveUp(m) if m.contains("3 restarts within 10 s"))
    );
    assert_eq!(t.total, 3);
}

#[test]
fn restarts_age_out_of_the_window() {
    let mut t = tracker(RestartPolicy::Always);
    let start = Instant::now();
    for i in 0..3 {
        assert!(matches!(
            t.on_exit(Exit::Code(1), start + Duration::from_secs(i)),
            Decision::RestartAfter(_)
        ));
    }
    // 10 s after the first restart it no longer counts: one more is allowed, at the second step of backoff.
    assert_eq!(
        t.on_exit(Exit::Code(1), start + Duration::from_secs(10)),
        Decision::RestartAfter(Duration::from_millis(350))
    );
    assert!(matches!(
        t.on_exit(Exit::Code(1), start + Duration::from_secs(10)),
        Decision::GiveUp(_)
    ));
    // Far later, everything has aged out and backoff starts over.
    assert_eq!(
        t.on_exit(Exit::Code(1), start + Duration::from_secs(100)),
        Decision::RestartAfter(Duration::from_millis(100))
    );
}

#[test]
fn reset_starts_the_limit_over() {
    let mut t = tracker(RestartPolicy::Always);
    let now = Instant::now();
    for _ in 0..3 {
        t.on_exit(Exit::Code(1), now);
    }
    assert!(matches!(t.on_exit(Exit::Code(1), now), Decision::GiveUp(_)));
    t.reset();
    assert_eq!(t.total, 0);
    assert!(matches!(
        t.on_exit(Exit::Code(1), now),
        Decision::RestartAfter(_)
    ));
}

#[test]
fn exits_read_well() {
    assert_eq!(Exit::Code(3).to_string(), "exit status 3");
    assert_eq!(Exit::Signal(9).to_string(), "killed by signal 9");
    assert!(Exit::Code(0).success() && !Exit::Signal(0).success());
}
