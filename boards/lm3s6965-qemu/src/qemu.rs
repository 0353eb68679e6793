//! Talking to QEMU through semihosting: exit codes (QEMU exits with them), a panic handler and
//! a HardFault handler that exit with failure instead of hanging, and a one-line plain-text
//! report on stderr for scripts (defmt frames go to stdout; see `defmt-semihosting`).

use core::sync::atomic::{AtomicBool, Ordering};

use cortex_m_rt::{exception, ExceptionFrame};
use semihosting::io::Write as _;

/// Ends the run: QEMU exits with status 0 (`success`) or 1.
pub fn exit(success: bool) -> ! {
    semihosting::process::exit(if success { 0 } else { 1 })
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    static PANICKING: AtomicBool = AtomicBool::new(false);
    // Logging could itself panic (a reentrant defmt logger): then exit without a word.
    if !PANICKING.swap(true, Ordering::Relaxed) {
        match info.location() {
            Some(l) => defmt::error!("panic at {=str}:{=u32}", l.file(), l.line()),
            None => defmt::error!("panic"),
        }
    }
    exit(false)
}

#[exception]
unsafe fn HardFault(_frame: &ExceptionFrame) -> ! {
    exit(false)
}

/// Writes `key=value` pairs as one line on the host's stderr, e.g.
/// `lm3s6965-qemu: metrics=1 lines=498 datagrams=12 dropped=0 boot_stack_peak=1304 stack_peak=1104 ...`.
pub fn report(fields: &[(&str, u32)]) {
    let Ok(mut err) = semihosting::io::stderr() else {
        return;
    };
    let mut line = [0u8; 192];
    let mut len = 0;
    let mut put = |bytes: &[u8]| {
        let n = bytes.len().min(line.len() - len);
        line[len..len + n].copy_from_slice(&bytes[..n]);
        len += n;
    };
    put(b"lm3s6965-qemu:");
    for (key, value) in fields {
        put(b" ");
        put(key.as_bytes());
        put(b"=");
        let mut digits = [0u8; 10];
        let mut i = digits.len();
        let mut v = *value;
        loop {
            i -= 1;
            digits[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        put(&digits[i..]);
    }
    put(b"\n");
    let _ = err.write_all(&line[..len]);
}
