//! The set*id, groups, signal-permission and settings rules against what Linux does.

use crate::*;
use alloc::vec;
use basalt_linux_abi::Errno;

fn user(uid: u32, gid: u32) -> Cred {
    Cred {
        uid,
        euid: uid,
        suid: uid,
        fsuid: uid,
        gid,
        egid: gid,
        sgid: gid,
        fsgid: gid,
        groups: vec![],
    }
}

fn uids(c: &Cred) -> [u32; 4] {
    [c.uid, c.euid, c.suid, c.fsuid]
}

fn gids(c: &Cred) -> [u32; 4] {
    [c.gid, c.egid, c.sgid, c.fsgid]
}

#[test]
fn root_is_privileged_and_users_are_not() {
    assert!(Cred::root().is_privileged());
    assert!(!user(1000, 1000).is_privileged());
    let mut c = Cred::root();
    c.euid = 1000;
    assert!(!c.is_privileged(), "privilege follows the effective uid");
}

#[test]
fn setuid_as_root_sets_every_uid() {
    let mut c = Cred::root();
    assert_eq!(c.setuid(1000), Ok(()));
    assert_eq!(uids(&c), [1000; 4]);
    assert_eq!(c.setuid(0), Err(Errno::EPERM), "no way back");
}

#[test]
fn setuid_minus_one_is_einval() {
    assert_eq!(Cred::root().setuid(UNCHANGED), Err(Errno::EINVAL));
    assert_eq!(user(5, 5).setuid(UNCHANGED), Err(Errno::EINVAL));
    assert_eq!(Cred::root().setgid(UNCHANGED), Err(Errno::EINVAL));
}

#[test]
fn unprivileged_setuid_switches_between_real_and_saved() {
    let mut c = user(1000, 1000);
    c.suid = 2000;
    assert_eq!(c.setuid(2000), Ok(()));
    assert_eq!(uids(&c), [1000, 2000, 2000, 2000]);
    assert_eq!(c.setuid(1000), Ok(()));
    assert_eq!(uids(&c), [1000, 1000, 2000, 1000]);
    assert_eq!(c.setuid(3000), Err(Errno::EPERM));
    assert_eq!(uids(&c), [1000, 1000, 2000, 1000], "unchanged on error");
}

#[test]
fn setresuid_drop_all_then_no_way_back() {
    let mut c = Cred::root();
    assert_eq!(c.setresuid(1000, 1000, 1000), Ok(()));
    assert_eq!(uids(&c), [1000; 4]);
    assert_eq!(c.setuid(0), Err(Errno::EPERM));
    assert_eq!(c.setresuid(2000, UNCHANGED, UNCHANGED), Err(Errno::EPERM));
}

#[test]
fn setresuid_keeping_saved_root_regains_it() {
    let mut c = Cred::root();
    assert_eq!(c.setresuid(UNCHANGED, 1000, UNCHANGED), Ok(()));
    assert_eq!(uids(&c), [0, 1000, 0, 1000]);
    assert!(!c.is_privileged());
    assert_eq!(c.setresuid(UNCHANGED, 0, UNCHANGED), Ok(()));
    assert_eq!(uids(&c), [0, 0, 0, 0]);
}

#[test]
fn unprivileged_setresuid_permutes_its_own_ids() {
    let mut c = user(1, 1);
    c.euid = 2;
    c.suid = 3;
    assert_eq!(c.setresuid(3, 1, 2), Ok(()));
    assert_eq!(uids(&c), [3, 1, 2, 1]);
    assert_eq!(c.setresuid(3, 4, 2), Err(Errno::EPERM));
}

#[test]
fn exec_saves_the_effective_ids() {
    let mut c = Cred::root();
    c.setresgid(5, 6, 7).unwrap();
    c.setresuid(UNCHANGED, 1000, UNCHANGED).unwrap();
    c.setfsuid(0);
    assert_eq!(c.fsuid, 0, "the saved uid 0 allows it");
    c.exec();
    assert_eq!(uids(&c), [0, 1000, 1000, 1000]);
    assert_eq!(gids(&c), [5, 6, 6, 6]);
    // A saved root uid alone does not survive exec.
    let mut kept = Cred::root();
    kept.setresuid(1000, 1000, UNCHANGED).unwrap();
    kept.exec();
    assert_eq!(uids(&kept), [1000; 4]);
    assert_eq!(kept.setuid(0), Err(Errno::EPERM));
}

#[test]
fn setresgid_as_root_and_not() {
    let mut c = Cred::root();
    assert_eq!(c.setresgid(2000, 2001, 2002), Ok(()));
    assert_eq!(gids(&c), [2000, 2001, 2002, 2001]);
    let mut u = user(1000, 10);
    assert_eq!(u.setresgid(20, UNCHANGED, UNCHANGED), Err(Errno::EPERM));
    assert_eq!(u.setresgid(UNCHANGED, 10, 10), Ok(()));
}

#[test]
fn setreuid_saved_follows_effective() {
    // Setting the real uid moves the saved uid to the new effective uid.
    let mut c = Cred::root();
    assert_eq!(c.setreuid(1000, UNCHANGED), Ok(()));
    assert_eq!(uids(&c), [1000, 0, 0, 0]);
    // An effective uid other than the real one moves the saved uid too.
    let mut c = Cred::root();
    assert_eq!(c.setreuid(UNCHANGED, 1000), Ok(()));
    assert_eq!(uids(&c), [0, 1000, 1000, 1000]);
    // Unprivileged: swap real and effective.
    let mut u = user(1, 1);
    u.euid = 2;
    u.suid = 2;
    assert_eq!(u.setreuid(2, 1), Ok(()));
    assert_eq!(uids(&u), [2, 1, 1, 1]);
    assert_eq!(u.setreuid(7, UNCHANGED), Err(Errno::EPERM));
    assert_eq!(u.setreuid(UNCHANGED, 7), Err(Errno::EPERM));
}

#[test]
fn setregid_rules() {
    let mut u = user(1, 5);
    u.egid = 6;
    assert_eq!(u.setregid(6, 5), Ok(()));
    assert_eq!(gids(&u), [6, 5, 5, 5]);
    assert_eq!(u.setregid(9, UNCHANGED), Err(Errno::EPERM));
}

#[test]
fn setfsuid_returns_the_old_value_always() {
    let mut u = user(1000, 1000);
    assert_eq!(
        u.setfsuid(0),
        1000,
        "refused, but the old value is returned"
    );
    assert_eq!(u.fsuid, 1000);
    assert_eq!(u.setfsuid(UNCHANGED), 1000);
    let mut r = Cred::root();
    assert_eq!(r.setfsuid(42), 0);
    assert_eq!(r.fsuid, 42);
    assert_eq!(r.euid, 0);
    assert_eq!(r.setfsgid(7), 0);
    assert_eq!(r.fsgid, 7);
}

#[test]
fn groups_are_sorted_and_checked() {
    let mut c = Cred::root();
    assert_eq!(setgroups_count(&c, 3), Ok(3));
    assert_eq!(c.set_groups(vec![30, 10, 20]), Ok(()));
    assert_eq!(c.groups, vec![10, 20, 30]);
    assert_eq!(getgroups_count(&c, 0), Ok(None));
    assert_eq!(getgroups_count(&c, 8), Ok(Some(3)));
    assert_eq!(getgroups_count(&c, 3), Ok(Some(3)));
    assert_eq!(getgroups_count(&c, 1), Err(Errno::EINVAL));
    assert_eq!(getgroups_count(&c, -1), Err(Errno::EINVAL));
    assert_eq!(c.set_groups(vec![1, UNCHANGED]), Err(Errno::EINVAL));
    assert_eq!(setgroups_count(&c, -1), Err(Errno::EINVAL));
    assert_eq!(setgroups_count(&c, 65537), Err(Errno::EINVAL));
    assert_eq!(setgroups_count(&c, 65536), Ok(65536));
    assert_eq!(setgroups_count(&user(1, 1), 1), Err(Errno::EPERM));
    assert_eq!(
        setgroups_count(&user(1, 1), -1),
        Err(Errno::EPERM),
        "EPERM first"
    );
}

#[test]
fn in_group_uses_fsgid_and_supplementary() {
    let mut c = user(1, 5);
    c.groups = vec![7];
    assert!(c.in_group(5) && c.in_group(7) && !c.in_group(6));
}

#[test]
fn signal_permission() {
    let root = Cred::root();
    let a = user(1000, 1000);
    let b = user(2000, 2000);
    assert!(root.may_signal(&a));
    assert!(a.may_signal(&a));
    assert!(!a.may_signal(&root));
    assert!(!a.may_signal(&b));
    // Real uid matches the target's saved uid.
    let mut t = user(3000, 3000);
    t.suid = 1000;
    assert!(a.may_signal(&t));
    // Effective uid matches the target's real uid.
    let mut s = user(5, 5);
    s.euid = 3000;
    assert!(s.may_signal(&user(3000, 1)));
    // Only the target's effective uid matching is not enough.
    let mut e = user(4000, 4000);
    e.euid = 1000;
    assert!(!a.may_signal(&e));
}

#[test]
fn chown_rules() {
    let mut owner = user(1000, 100);
    owner.groups = vec![200];
    assert!(owner.may_chown(1000, 100, false, None, None));
    assert!(
        owner.may_chown(1000, 100, false, Some(1000), Some(100)),
        "no change"
    );
    assert!(
        owner.may_chown(1000, 100, false, None, Some(200)),
        "to a supplementary group"
    );
    assert!(!owner.may_chown(1000, 100, false, None, Some(300)));
    assert!(
        !owner.may_chown(1000, 100, false, Some(2000), None),
        "giving a file away"
    );
    assert!(
        !owner.may_chown(2000, 100, false, None, Some(100)),
        "not the owner"
    );
    assert!(Cred::root().may_chown(2000, 100, false, Some(5), Some(6)));
    let mut fs_root = user(1000, 100);
    fs_root.fsuid = 0;
    assert!(
        fs_root.may_chown(2000, 100, false, Some(5), None),
        "CAP_CHOWN follows the fsuid"
    );
    // Clearing set-id bits is a mode change: the owner's or a privileged caller's.
    let other = user(3000, 100);
    assert!(other.may_chown(1000, 100, false, None, None));
    assert!(!other.may_chown(1000, 100, true, None, None));
    assert!(owner.may_chown(1000, 100, true, None, None));
}

#[test]
fn prlimit_needs_every_id_to_match() {
    let a = user(1000, 100);
    assert!(a.may_prlimit(&user(1000, 100)));
    let mut t = user(1000, 100);
    t.suid = 0;
    assert!(!a.may_prlimit(&t), "a saved uid of 0 protects the target");
    let mut t = user(1000, 100);
    t.egid = 5;
    assert!(!a.may_prlimit(&t));
    assert!(Cred::root().may_prlimit(&t));
}

#[test]
fn same_owner_uses_the_effective_uid() {
    let mut a = user(1, 1);
    a.euid = 1000;
    assert!(a.same_owner(&user(1000, 1)));
    let mut t = user(5, 5);
    t.euid = 1000;
    assert!(a.same_owner(&t));
    assert!(!user(1000, 1).same_owner(&user(2000, 1)));
    assert!(!user(1000, 1).may_renice(&Cred::root()));
    assert!(Cred::root().may_renice(&user(2000, 1)));
}

#[test]
fn access_checks_use_real_ids_unless_eaccess() {
    let mut c = Cred::root();
    c.setresuid(1000, UNCHANGED, UNCHANGED).unwrap();
    c.setresgid(50, 60, UNCHANGED).unwrap();
    let real = c.for_access_check(false);
    assert_eq!((real.fsuid, real.fsgid), (1000, 50));
    let eff = c.for_access_check(true);
    assert_eq!((eff.fsuid, eff.fsgid), (0, 60));
}

#[test]
fn uts_name_checks() {
    let root = Cred::root();
    assert_eq!(check_uts_name(&root, 64), Ok(64));
    assert_eq!(check_uts_name(&root, 0), Ok(0));
    assert_eq!(check_uts_name(&root, 65), Err(Errno::EINVAL));
    assert_eq!(check_uts_name(&root, -1), Err(Errno::EINVAL));
    assert_eq!(check_uts_name(&user(1, 1), 65), Err(Errno::EPERM));
}

#[test]
fn only_realtime_is_settable() {
    assert_eq!(check_clock_set(0), Ok(()));
    for clock in [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 100, -1] {
        assert_eq!(check_clock_set(clock), Err(Errno::EINVAL), "clock {clock}");
    }
}

#[test]
fn settime_order_of_checks() {
    let root = Cred::root();
    let u = user(1, 1);
    let now = 5_000_000_000;
    assert_eq!(
        settime(&root, Some((1000, 1_000_000_000)), None, now),
        Err(Errno::EINVAL)
    );
    assert_eq!(settime(&u, Some((1000, -1)), None, now), Err(Errno::EINVAL));
    assert_eq!(settime(&u, Some((1000, 0)), None, now), Err(Errno::EPERM));
    assert_eq!(
        settime(&root, Some((SETTOD_SEC_MAX, 0)), None, now),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        settime(&root, Some((4, 0)), None, now),
        Err(Errno::EINVAL),
        "before boot"
    );
    assert_eq!(
        settime(&root, Some((1000, 5)), None, now),
        Ok(SetTime {
            realtime_ns: Some(1_000_000_000_005),
            tz: None
        })
    );
    let far = Timezone {
        minuteswest: 901,
        dsttime: 0,
    };
    assert_eq!(settime(&root, None, Some(far), now), Err(Errno::EINVAL));
    assert_eq!(settime(&u, None, Some(far), now), Err(Errno::EPERM));
    let zone = Timezone {
        minuteswest: -60,
        dsttime: 1,
    };
    assert_eq!(
        settime(&root, None, Some(zone), now),
        Ok(SetTime {
            realtime_ns: None,
            tz: Some(zone)
        })
    );
    assert_eq!(Timezone::from_user_bytes(zone.to_user_bytes()), zone);
}

#[test]
fn timeofday_usec_range() {
    assert_eq!(check_timeofday_usec(0), Ok(0));
    assert_eq!(check_timeofday_usec(999_999), Ok(999_999_000));
    assert_eq!(check_timeofday_usec(1_000_000), Ok(1_000_000_000));
    assert_eq!(check_timeofday_usec(1_000_001), Err(Errno::EINVAL));
    assert_eq!(check_timeofday_usec(-1), Err(Errno::EINVAL));
}
