//! Line streams: stdout, stderr and files opened for appending.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// A buffered byte stream that lines are written to, each followed by `\n`.
pub(crate) struct Stream(BufWriter<Box<dyn Write + Send>>);

impl Stream {
    pub(crate) fn stdout() -> Self {
        Self(BufWriter::new(Box::new(io::stdout())))
    }

    pub(crate) fn stderr() -> Self {
        Self(BufWriter::new(Box::new(io::stderr())))
    }

    pub(crate) fn file(path: &Path) -> io::Result<Self> {
        let file: File = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(Self(BufWriter::new(Box::new(file))))
    }

    pub(crate) fn write_line(&mut self, line: &[u8]) -> io::Result<()> {
        self.0.write_all(line)?;
        self.0.write_all(b"\n")
    }

    pub(crate) fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}
