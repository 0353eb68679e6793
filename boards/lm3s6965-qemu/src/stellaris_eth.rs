//! A polled smoltcp [`Device`] for the Ethernet MAC of the LM3S6965, as QEMU models it.
//!
//! The MAC has no DMA: frames go through one 32-bit `DATA` register. Register offsets and bits
//! are the LM3S6965 datasheet's; the framing is what QEMU's `stellaris_enet` model does:
//!
//! * transmit: the first word carries the frame length minus the 14-byte Ethernet header in
//!   its low half and the first two frame bytes in its high half; the rest of the frame follows
//!   little-endian, one word per write; writing 1 to `TR` sends it (padding and FCS are added
//!   by the MAC: `TCTL.PADEN | TCTL.CRC`).
//! * receive: `NP` counts waiting frames; reading `DATA` yields a 2-byte length (frame length
//!   plus 6), the frame, then the 4 FCS bytes, padded to whole words.
//!
//! Interrupts stay masked: smoltcp's `Interface::poll` asks for frames when it runs. QEMU-only
//! in practice: a real board also needs the MAC and PHY clocks, the PHY and link handling
//! (see the README).

use core::ptr::{read_volatile, write_volatile};

use smoltcp::phy::{self, Device, DeviceCapabilities, Medium};
use smoltcp::time::Instant;

/// The largest Ethernet frame without FCS: 14-byte header + 1500-byte MTU.
pub const MAX_FRAME: usize = 1514;

const BASE: usize = 0x4004_8000;

/// Register offsets (LM3S6965 datasheet, "Ethernet Controller").
mod reg {
    /// MACRIS on read, MACIACK on write.
    pub const RIS_IACK: usize = 0x00;
    pub const IM: usize = 0x04;
    pub const RCTL: usize = 0x08;
    pub const TCTL: usize = 0x0c;
    pub const DATA: usize = 0x10;
    pub const IA0: usize = 0x14;
    pub const IA1: usize = 0x18;
    pub const NP: usize = 0x34;
    pub const TR: usize = 0x38;
}

const RCTL_RXEN: u32 = 1 << 0;
const RCTL_BADCRC: u32 = 1 << 3;
const RCTL_RSTFIFO: u32 = 1 << 4;
const TCTL_TXEN: u32 = 1 << 0;
const TCTL_PADEN: u32 = 1 << 1;
const TCTL_CRC: u32 = 1 << 2;
const TR_NEWTX: u32 = 1 << 0;
const ALL_INTERRUPTS: u32 = 0x7f;
const HEADER: usize = 14;
/// Bytes around a received frame in the FIFO: the 2-byte length and the 4-byte FCS.
const RX_OVERHEAD: usize = 6;

/// The MAC's registers. Zero-sized: only [`StellarisEth::new`] makes one.
struct Regs(());

impl Regs {
    fn read(&self, offset: usize) -> u32 {
        // SAFETY: an aligned MMIO register of the Ethernet MAC, owned by this driver.
        unsafe { read_volatile((BASE + offset) as *const u32) }
    }

    fn write(&self, offset: usize, value: u32) {
        // SAFETY: as in `read`.
        unsafe { write_volatile((BASE + offset) as *mut u32, value) }
    }
}

/// The Ethernet MAC as a smoltcp device, with one receive and one transmit frame buffer.
pub struct StellarisEth {
    regs: Regs,
    rx: [u8; MAX_FRAME],
    tx: [u8; MAX_FRAME],
    /// Frames dropped because they were larger than [`MAX_FRAME`] or shorter than a header.
    pub rx_dropped: u32,
}

impl StellarisEth {
    /// Resets and enables the MAC: interrupts masked, receive FIFO emptied, receive on,
    /// transmit on with automatic padding and FCS.
    ///
    /// # Safety
    ///
    /// The caller gives this driver exclusive use of the MAC's registers (0x4004_8000..+0x40).
    pub unsafe fn new() -> Self {
        let regs = Regs(());
        regs.write(reg::IM, 0);
        regs.write(reg::RIS_IACK, ALL_INTERRUPTS);
        regs.write(reg::RCTL, 0);
        regs.write(reg::RCTL, RCTL_RSTFIFO);
        regs.write(reg::RCTL, RCTL_RXEN | RCTL_BADCRC);
        regs.write(reg::TCTL, TCTL_TXEN | TCTL_PADEN | TCTL_CRC);
        Self {
            regs,
            rx: [0; MAX_FRAME],
            tx: [0; MAX_FRAME],
            rx_dropped: 0,
        }
    }

    /// The MAC address in `IA0`/`IA1` (QEMU's default is 52:54:00:12:34:56).
    pub fn mac_address(&self) -> [u8; 6] {
        let [a, b, c, d] = self.regs.read(reg::IA0).to_le_bytes();
        let [e, f, _, _] = self.regs.read(reg::IA1).to_le_bytes();
        [a, b, c, d, e, f]
    }

    /// Reads the next waiting frame into `self.rx`; its length, or `None` when no frame waits.
    fn read_frame(&mut self) -> Option<usize> {
        while self.regs.read(reg::NP) & 0x3f != 0 {
            let first = self.regs.read(reg::DATA);
            let total = (first & 0xffff) as usize; // frame + length + FCS
            let len = total.saturating_sub(RX_OVERHEAD);
            let keep = (HEADER..=MAX_FRAME).contains(&len);
            let [_, _, b0, b1] = first.to_le_bytes();
            if keep {
                self.rx[0] = b0;
                self.rx[1] = b1;
            }
            // The rest of the frame and the FCS, in whole words after the first.
            let mut at = 2;
            for _ in 1..total.div_ceil(4) {
                let word = self.regs.read(reg::DATA).to_le_bytes();
                if keep {
                    for byte in word {
                        if at < len {
                            self.rx[at] = byte;
                        }
                        at += 1;
                    }
                }
            }
            if keep {
                return Some(len);
            }
            self.rx_dropped += 1;
        }
        None
    }
}

impl Device for StellarisEth {
    type RxToken<'a> = RxToken<'a>;
    type TxToken<'a> = TxToken<'a>;

    fn receive(&mut self, _: Instant) -> Option<(RxToken<'_>, TxToken<'_>)> {
        let len = self.read_frame()?;
        let rx = RxToken(&self.rx[..len]);
        let tx = TxToken {
            regs: &self.regs,
            buf: &mut self.tx,
        };
        Some((rx, tx))
    }

    fn transmit(&mut self, _: Instant) -> Option<TxToken<'_>> {
        Some(TxToken {
            regs: &self.regs,
            buf: &mut self.tx,
        })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = MAX_FRAME;
        caps.max_burst_size = Some(1);
        caps
    }
}

/// A received frame, already copied out of the FIFO.
pub struct RxToken<'a>(&'a [u8]);

impl phy::RxToken for RxToken<'_> {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(self.0)
    }
}

/// Room for one frame; consuming it writes the frame to the FIFO and starts transmission.
pub struct TxToken<'a> {
    regs: &'a Regs,
    buf: &'a mut [u8; MAX_FRAME],
}

impl phy::TxToken for TxToken<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let len = len.clamp(HEADER, MAX_FRAME);
        let frame = &mut self.buf[..len];
        let result = f(frame);
        // The FIFO holds one frame: wait until the previous one has left (immediate in QEMU).
        while self.regs.read(reg::TR) & TR_NEWTX != 0 {}
        let data_len = (len - HEADER) as u32;
        let first = data_len | u32::from(frame[0]) << 16 | u32::from(frame[1]) << 24;
        self.regs.write(reg::DATA, first);
        for chunk in frame[2..].chunks(4) {
            let mut word = [0u8; 4];
            word[..chunk.len()].copy_from_slice(chunk);
            self.regs.write(reg::DATA, u32::from_le_bytes(word));
        }
        self.regs.write(reg::TR, TR_NEWTX);
        result
    }
}
