//! A thread that panics: its `join()` returns `Err` carrying the panic message, and the program carries on.

use crate::spawn::spawn;
use std::panic;

const MESSAGE: &str = "deliberate panic";

/// Runs the check.
pub fn run() -> Result<String, String> {
    // The default hook prints the thread id, which differs between runs; silence it for this one panic.
    let default_hook = panic::take_hook();
    panic::set_hook(Box::new(|_| {}));
    let outcome =
        spawn("panicker".to_owned(), || -> u32 { panic!("{MESSAGE}") }).map(|handle| handle.join());
    panic::set_hook(default_hook);
    let payload = match outcome? {
        Ok(value) => {
            return Err(format!(
                "join() returned Ok({value}) for a panicking thread"
            ))
        }
        Err(payload) => payload,
    };
    let message = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .ok_or("the panic payload is not a string")?;
    if message != MESSAGE {
        return Err(format!("panic payload {message:?}, expected {MESSAGE:?}"));
    }
    Ok(format!(
        "join() returned Err({message:?}), main thread continues"
    ))
}
