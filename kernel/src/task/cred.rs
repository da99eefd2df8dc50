//! Credentials in the kernel: each process holds an immutable snapshot (`Arc<Cred>`) that is replaced as a
//! whole when a set*id call changes it, so readers never see half an update (like Linux's RCU-managed creds).
//! The rules are in the host-tested `basalt-cred` crate.
#![forbid(unsafe_code)]

use alloc::sync::Arc;
use basalt_cred::Cred;
use basalt_linux_abi::Errno;
use spin::Mutex;

/// A process's credentials.
pub struct CredCell(Mutex<Arc<Cred>>);

impl CredCell {
    /// A copy of `parent`'s credentials (fork, clone), or root's for the first process.
    pub fn inherit(parent: Option<&CredCell>) -> CredCell {
        CredCell(Mutex::new(
            parent
                .map(CredCell::get)
                .unwrap_or_else(|| Arc::new(Cred::root())),
        ))
    }

    /// The current credentials.
    pub fn get(&self) -> Arc<Cred> {
        self.0.lock().clone()
    }

    /// Apply `change` to a copy and install it if it succeeds (the old credentials stay on error).
    pub fn update<T>(
        &self,
        change: impl FnOnce(&mut Cred) -> Result<T, Errno>,
    ) -> Result<T, Errno> {
        let mut slot = self.0.lock();
        let mut new = Cred::clone(&slot);
        let result = change(&mut new)?;
        if new != **slot {
            *slot = Arc::new(new);
        }
        Ok(result)
    }
}

impl CredCell {
    /// execve succeeded: the saved and filesystem ids take the effective ones (no set-id executables yet).
    pub fn commit_exec(&self) {
        let _ = self.update(|c| {
            c.exec();
            Ok(())
        });
    }
}

/// The calling process's credentials (root for kernel threads and before the first process).
pub fn current() -> Arc<Cred> {
    match super::process::current() {
        Some(p) => p.creds.get(),
        None => Arc::new(Cred::root()),
    }
}
