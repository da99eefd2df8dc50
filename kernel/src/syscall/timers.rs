//! alarm, setitimer and getitimer (ITIMER_REAL; the CPU-time timers need accounting that does not exist yet).
#![forbid(unsafe_code)]

use crate::arch::usercopy;
use crate::task::process;
use basalt_linux_abi::Errno;
use basalt_signal::{check_which, ITimerVal};

const ITIMER_REAL: i32 = 0;

pub fn alarm(seconds: u32) -> Result<usize, Errno> {
    let p = process::current().ok_or(Errno::ESRCH)?;
    let left = p
        .real_timer
        .lock()
        .alarm(crate::time::monotonic_ns(), seconds);
    Ok(left as usize)
}

pub fn setitimer(which: u64, new: u64, old: u64) -> Result<usize, Errno> {
    let which = check_which(which).map_err(|e| e.errno())?;
    let p = process::current().ok_or(Errno::ESRCH)?;
    let value = if new != 0 {
        let mut b = [0u8; 32];
        usercopy::copy_from_user(&mut b, new)?;
        ITimerVal::from_user_bytes(&b)
            .to_itimer()
            .map_err(|e| e.errno())?
    } else {
        basalt_signal::ITimer::default()
    };
    if which != ITIMER_REAL {
        return Err(Errno::EINVAL);
    }
    let previous = p.real_timer.lock().set(crate::time::monotonic_ns(), value);
    if old != 0 {
        usercopy::copy_to_user(old, &previous.to_itimerval().to_user_bytes())?;
    }
    Ok(0)
}

pub fn getitimer(which: u64, out: u64) -> Result<usize, Errno> {
    let which = check_which(which).map_err(|e| e.errno())?;
    let p = process::current().ok_or(Errno::ESRCH)?;
    if which != ITIMER_REAL {
        return Err(Errno::EINVAL);
    }
    let current = p.real_timer.lock().get(crate::time::monotonic_ns());
    usercopy::copy_to_user(out, &current.to_itimerval().to_user_bytes())?;
    Ok(0)
}
