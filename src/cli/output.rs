//! What the commands print. A closed standard output is a normal end
//! (`docflow … | head -1`): `println!` would panic on it (exit 101), so
//! every command prints with [`say!`] and [`note!`] instead.

use std::fmt;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

/// Writes to standard output. A closed pipe is ignored; any other failure
/// is reported once on standard error.
pub fn out(args: fmt::Arguments<'_>) {
    static REPORTED: AtomicBool = AtomicBool::new(false);
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_fmt(args).and_then(|()| stdout.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe && !REPORTED.swap(true, Ordering::Relaxed) {
            err(format_args!(
                "docflow: cannot write to standard output: {e}\n"
            ));
        }
    }
}

/// Writes to standard error; a failure there has nowhere to go.
pub fn err(args: fmt::Arguments<'_>) {
    let _ = std::io::stderr().lock().write_fmt(args);
}

/// `println!` that a closed pipe does not turn into a panic.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::cli::output::out(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `eprintln!` that a closed standard error does not turn into a panic.
macro_rules! note {
    ($($arg:tt)*) => {
        $crate::cli::output::err(format_args!("{}\n", format_args!($($arg)*)))
    };
}

pub(crate) use {note, say};

/// Prints `value` as pretty JSON.
pub fn json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    say!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}
