//! Shared parts of the differential-scenario helpers: thin checked wrappers of the system calls they make
//! (`sys`), and how errors and signals are printed (by name, so that the output compares across kernels).

pub mod names;
pub mod sys;
