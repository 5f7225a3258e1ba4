//! The one error type of commands: what stopped a command, and the exit code it means. Commands
//! return `Result<i32, Error>` and use `?`; [`super::run`] prints the message and picks the code.

/// Why a command stopped early.
#[derive(Debug)]
pub(crate) enum Error {
    /// A usage or I/O problem (bad flags, unreadable paths, no specs, outputs not writable):
    /// printed as `error: ...`, exit 2.
    Usage(String),
    /// Stop with this code; what explains it is already printed (invalid specs: 1).
    Exit(i32),
    /// Writing to the terminal failed.
    Write(std::io::Error),
}

impl From<std::io::Error> for Error {
    fn from(error: std::io::Error) -> Self {
        Self::Write(error)
    }
}

/// Errors of the stages below that reach people as usage errors, by their message.
macro_rules! usage_errors {
    ($($error:ty),* $(,)?) => {
        $(impl From<$error> for Error {
            fn from(error: $error) -> Self {
                Self::Usage(error.to_string())
            }
        })*
    };
}

usage_errors!(
    String,
    crate::pipeline::Error,
    crate::emit::Error,
    crate::emit::templates::Error,
    crate::output::Error,
    crate::live::client::Error,
);
