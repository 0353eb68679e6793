//! [`lock`]: taking the buffered output's spin locks (the shared line buffer's, and each
//! thread's lane) without ever waiting long on a holder that is not running.
//!
//! Taking a free [`SpinMutex`] costs one compare-and-swap and releasing it a plain store, where a
//! `Mutex` also swaps atomically to release (it must learn whether a thread sleeps on it): with
//! a line copied in well under 10 ns, that second atomic was a third of an update's user time.
//! Holders only copy lines or send datagrams, never wait for anything else.

use std::time::Duration;

use spin::mutex::{SpinMutex, SpinMutexGuard};

/// Takes `mutex`: at once when it is free, else through [`contended`].
#[inline]
pub(crate) fn lock<T>(mutex: &SpinMutex<T>) -> SpinMutexGuard<'_, T> {
    match mutex.try_lock() {
        Some(guard) => guard,
        None => contended(mutex),
    }
}

/// Waits for `mutex`: spins [`SPINS`] times (the holder is copying a line), then yields the
/// time slice [`YIELDS`] times (the holder is in a send call, or preempted), then sleeps
/// [`NAP`] between tries, so a holder of lower priority, or on this core, always gets to run
/// and release it, and a long wait burns no CPU.
#[cold]
fn contended<T>(mutex: &SpinMutex<T>) -> SpinMutexGuard<'_, T> {
    let mut waits = 0u32;
    loop {
        while mutex.is_locked() {
            if waits < SPINS {
                std::hint::spin_loop();
            } else if waits < SPINS + YIELDS {
                std::thread::yield_now();
            } else {
                std::thread::sleep(NAP);
            }
            waits = waits.saturating_add(1);
        }
        if let Some(guard) = mutex.try_lock() {
            return guard;
        }
    }
}

/// Busy-wait rounds before [`contended`] yields.
const SPINS: u32 = 100;
/// Yields before [`contended`] sleeps.
const YIELDS: u32 = 20;
/// The sleep between tries of a long wait.
const NAP: Duration = Duration::from_micros(50);
