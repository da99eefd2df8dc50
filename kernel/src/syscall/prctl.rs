//! prctl(2): the process settings programs use — the name (`comm`, what busybox sets for applets it runs without
//! exec), the parent-death signal, dumpable and no_new_privs. Options Basalt does not have are EINVAL, as Linux
//! answers for options it does not know.
#![forbid(unsafe_code)]

use crate::arch::usercopy;
use crate::task::process;
use basalt_linux_abi::Errno;
use core::sync::atomic::Ordering;

const PR_SET_PDEATHSIG: u64 = 1;
const PR_GET_PDEATHSIG: u64 = 2;
const PR_GET_DUMPABLE: u64 = 3;
const PR_SET_DUMPABLE: u64 = 4;
const PR_SET_NAME: u64 = 15;
const PR_GET_NAME: u64 = 16;
const PR_SET_NO_NEW_PRIVS: u64 = 38;
const PR_GET_NO_NEW_PRIVS: u64 = 39;

/// Length of `comm` with its NUL (TASK_COMM_LEN).
const COMM_LEN: usize = 16;

pub fn prctl(option: u64, arg2: u64, arg3: u64, arg4: u64, arg5: u64) -> Result<usize, Errno> {
    let me = process::current().ok_or(Errno::ESRCH)?;
    match option {
        PR_SET_PDEATHSIG => {
            let sig = u8::try_from(arg2).map_err(|_| Errno::EINVAL)?;
            if sig != 0 && basalt_signal::Signal::new(u32::from(sig)).is_none() {
                return Err(Errno::EINVAL);
            }
            me.parent_death_signal.store(sig, Ordering::Relaxed);
            Ok(0)
        }
        PR_GET_PDEATHSIG => {
            let sig = i32::from(me.parent_death_signal.load(Ordering::Relaxed));
            usercopy::copy_to_user(arg2, &sig.to_le_bytes())?;
            Ok(0)
        }
        PR_GET_DUMPABLE => Ok(usize::from(me.dumpable.load(Ordering::Relaxed))),
        PR_SET_DUMPABLE => match arg2 {
            0 | 1 => {
                me.dumpable.store(arg2 == 1, Ordering::Relaxed);
                Ok(0)
            }
            _ => Err(Errno::EINVAL),
        },
        PR_SET_NAME => {
            // Up to 15 bytes and a NUL; a longer name is cut, as on Linux.
            let mut raw = [0u8; COMM_LEN];
            usercopy::copy_from_user(&mut raw, arg2).or_else(|_| {
                // The name may end right before an unmapped page: read it one byte at a time.
                for (i, byte) in raw.iter_mut().enumerate() {
                    let mut b = [0u8; 1];
                    usercopy::copy_from_user(&mut b, arg2 + i as u64)?;
                    *byte = b[0];
                    if b[0] == 0 {
                        break;
                    }
                }
                Ok::<(), Errno>(())
            })?;
            let len = raw.iter().position(|&b| b == 0).unwrap_or(COMM_LEN - 1);
            let mut name = [0u8; COMM_LEN];
            name[..len].copy_from_slice(&raw[..len]);
            *me.name.lock() = name;
            Ok(0)
        }
        PR_GET_NAME => {
            let name = *me.name.lock();
            usercopy::copy_to_user(arg2, &name)?;
            Ok(0)
        }
        PR_SET_NO_NEW_PRIVS => {
            if arg2 != 1 || arg3 != 0 || arg4 != 0 || arg5 != 0 {
                return Err(Errno::EINVAL);
            }
            me.no_new_privs.store(true, Ordering::Relaxed);
            Ok(0)
        }
        PR_GET_NO_NEW_PRIVS => {
            if arg2 != 0 || arg3 != 0 || arg4 != 0 || arg5 != 0 {
                return Err(Errno::EINVAL);
            }
            Ok(usize::from(me.no_new_privs.load(Ordering::Relaxed)))
        }
        _ => Err(Errno::EINVAL),
    }
}
