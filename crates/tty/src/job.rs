//! Job control at the terminal: what a process outside the foreground group gets when it reads, writes (with
//! TOSTOP) or changes its controlling terminal (Linux's `__tty_check_change`).

/// Which job-control signal the access raises.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// A read: SIGTTIN.
    Read,
    /// A write with TOSTOP, or a change of settings: SIGTTOU.
    Write,
}

impl Access {
    /// SIGTTIN or SIGTTOU.
    pub fn signal(self) -> u8 {
        match self {
            Access::Read => 21,
            Access::Write => 22,
        }
    }
}

/// The caller as the check sees it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Caller {
    /// The terminal is the caller's controlling terminal.
    pub controlling: bool,
    /// The terminal has a foreground process group.
    pub has_foreground: bool,
    /// The caller's process group is the foreground group.
    pub in_foreground: bool,
    /// The caller ignores or blocks the signal the access raises.
    pub signal_ignored: bool,
    /// The caller's process group is orphaned.
    pub orphaned: bool,
}

/// The outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Go ahead.
    Allow,
    /// Fail with EIO.
    Eio,
    /// Send the access's signal to the caller's process group and restart the call (ERESTARTSYS).
    Signal,
}

/// Linux's rule.
pub fn check(access: Access, caller: Caller) -> Verdict {
    if !caller.controlling || !caller.has_foreground || caller.in_foreground {
        return Verdict::Allow;
    }
    if caller.signal_ignored {
        return match access {
            Access::Read => Verdict::Eio,
            Access::Write => Verdict::Allow,
        };
    }
    if caller.orphaned {
        return Verdict::Eio;
    }
    Verdict::Signal
}

#[cfg(test)]
mod tests {
    use super::*;

    fn background() -> Caller {
        Caller {
            controlling: true,
            has_foreground: true,
            ..Caller::default()
        }
    }

    #[test]
    fn foreground_and_other_terminals_pass() {
        let fg = Caller {
            in_foreground: true,
            ..background()
        };
        assert_eq!(check(Access::Read, fg), Verdict::Allow);
        let other = Caller {
            controlling: false,
            ..background()
        };
        assert_eq!(check(Access::Write, other), Verdict::Allow);
    }

    #[test]
    fn background_gets_signals() {
        assert_eq!(check(Access::Read, background()), Verdict::Signal);
        assert_eq!(check(Access::Write, background()), Verdict::Signal);
        assert_eq!(Access::Read.signal(), 21);
    }

    #[test]
    fn ignored_signals() {
        let c = Caller {
            signal_ignored: true,
            ..background()
        };
        assert_eq!(check(Access::Read, c), Verdict::Eio);
        assert_eq!(check(Access::Write, c), Verdict::Allow);
    }

    #[test]
    fn orphaned_groups() {
        let c = Caller {
            orphaned: true,
            ..background()
        };
        assert_eq!(check(Access::Read, c), Verdict::Eio);
        assert_eq!(check(Access::Write, c), Verdict::Eio);
    }
}
