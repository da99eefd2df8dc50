use super::*;

fn word(bytes: &[u8], index: usize) -> u64 {
    u64::from_le_bytes(bytes[index * 8..index * 8 + 8].try_into().unwrap())
}

#[test]
fn split_follows_the_samples() {
    let t = Account {
        user_ticks: 3,
        system_ticks: 1,
        runtime_ns: 40_000_000,
        ..Account::default()
    };
    assert_eq!(t.split_ns(), (30_000_000, 10_000_000));
}

#[test]
fn without_samples_the_time_is_user_time() {
    let t = Account {
        runtime_ns: 1234,
        ..Account::default()
    };
    assert_eq!(t.split_ns(), (1234, 0));
    let only_system = Account {
        system_ticks: 2,
        runtime_ns: 500,
        ..Account::default()
    };
    assert_eq!(only_system.split_ns(), (0, 500));
}

#[test]
fn split_never_overflows_and_adds_up() {
    let t = Account {
        user_ticks: u64::MAX,
        system_ticks: u64::MAX - 1,
        runtime_ns: u64::MAX,
        ..Account::default()
    };
    let (user, system) = t.split_ns();
    assert_eq!(user.checked_add(system), Some(u64::MAX));
}

#[test]
fn plus_saturates() {
    let big = Account {
        user_ticks: u64::MAX,
        system_ticks: 1,
        runtime_ns: 2,
        minor_faults: 3,
        ..Account::default()
    };
    assert_eq!(
        big.plus(big),
        Account {
            user_ticks: u64::MAX,
            system_ticks: 2,
            runtime_ns: 4,
            minor_faults: 6,
            ..Account::default()
        }
    );
}

#[test]
fn rusage_layout() {
    let t = Account {
        user_ticks: 1,
        system_ticks: 1,
        runtime_ns: 3_000_002_000,
        minor_faults: 8,
        voluntary_switches: 9,
        involuntary_switches: 10,
    };
    let bytes = rusage_bytes(t);
    // 1.500001 s each.
    assert_eq!((word(&bytes, 0), word(&bytes, 1)), (1, 500_001));
    assert_eq!((word(&bytes, 2), word(&bytes, 3)), (1, 500_001));
    assert_eq!(word(&bytes, 8), 8);
    assert_eq!(word(&bytes, 16), 9);
    assert_eq!(word(&bytes, 17), 10);
    for unused in [4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15] {
        assert_eq!(word(&bytes, unused), 0, "field {unused}");
    }
}

#[test]
fn tms_in_user_hz_ticks() {
    let own = Account {
        user_ticks: 1,
        system_ticks: 0,
        runtime_ns: 250_000_000,
        ..Account::default()
    };
    let children = Account {
        user_ticks: 1,
        system_ticks: 1,
        runtime_ns: 1_000_000_000,
        ..Account::default()
    };
    let bytes = tms_bytes(own, children);
    assert_eq!(
        [
            word(&bytes, 0),
            word(&bytes, 1),
            word(&bytes, 2),
            word(&bytes, 3)
        ],
        [25, 0, 50, 50]
    );
}

#[test]
fn layouts_match_the_host_libc() {
    assert_eq!(RUSAGE_SIZE, core::mem::size_of::<libc::rusage>());
    assert_eq!(TMS_SIZE, core::mem::size_of::<libc::tms>());
    assert_eq!(
        core::mem::offset_of!(libc::rusage, ru_nivcsw),
        17 * 8,
        "ru_nivcsw is the last long"
    );
}
