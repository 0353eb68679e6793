//! An appliance on QEMU's `lm3s6965evb` (Cortex-M3) reporting its metrics to spectatord over
//! UDP with spectator-core and smoltcp, with no heap.
//!
//! It runs a fixed workload (`workload.rs`) of 100 ticks 10 ms apart, reports each event into
//! a `LineBuffer<1472>` (sent on size and by `poll` on every tick through the UDP socket, lent
//! for each call: the socket set stays here, beside the buffer), sends to 10.0.2.2:1234 (QEMU's
//! user network forwards it to the host's 127.0.0.1:1234), flushes, polls the interface until
//! the socket's queue is empty, then exits QEMU: status 0 when no line was dropped, 1 otherwise
//! (or on a panic or fault).
//!
//! The SysTick interrupt handler also samples a motor's current every millisecond while it runs
//! (100 ms of every 250 ms, [`on_systick`]) into aggregated `static` meters, updated from the
//! interrupt with no sink and no lock; the main loop reports them into the same buffer on the
//! last tick of each 250 ms cycle (one line per meter per cycle) and once more before the final
//! flush.
//!
//! Without the `metrics` feature the same firmware runs the same workload and reports nothing,
//! so the two builds' sizes tell what spectator-core costs.

#![no_std]
#![no_main]

mod clock;
#[cfg(feature = "metrics")]
mod metrics;
#[cfg(not(feature = "metrics"))]
mod no_metrics;
mod qemu;
mod stack;
mod stellaris_eth;
#[cfg(feature = "metrics")]
mod transport;
mod workload;

use core::mem::MaybeUninit;
use core::ptr::addr_of_mut;

use cortex_m_rt::entry;
use defmt_semihosting as _;
use smoltcp::iface::{Config, Interface, SocketSet, SocketStorage};
use smoltcp::socket::udp;
use smoltcp::wire::{EthernetAddress, IpAddress, IpCidr, IpEndpoint, Ipv4Address};

use clock::Clock;
#[cfg(feature = "metrics")]
use metrics::Reporter;
#[cfg(not(feature = "metrics"))]
use no_metrics::Reporter;
use stellaris_eth::StellarisEth;
use workload::{Appliance, TICKS, TICK_MS};

/// Called by the SysTick handler after millisecond `ms` (0-based): while the motor runs, its
/// sample is recorded, from the interrupt.
pub fn on_systick(ms: u32) {
    if let Some(sample) = workload::motor(ms) {
        Reporter::motor(&sample);
    }
}

/// QEMU user networking's default guest address; its gateway 10.0.2.2 is the host.
const LOCAL: Ipv4Address = Ipv4Address::new(10, 0, 2, 15);
const PREFIX_LEN: u8 = 24;
const GATEWAY: Ipv4Address = Ipv4Address::new(10, 0, 2, 2);
/// spectatord's UDP port on the host, seen from the guest.
pub const SPECTATORD: IpEndpoint = IpEndpoint::new(IpAddress::Ipv4(GATEWAY), 1234);
const LOCAL_PORT: u16 = 49152;
/// Datagrams the UDP socket can hold before `send` says `WouldBlock`.
const UDP_TX_SLOTS: usize = 4;
/// How long the final flush may take to leave, ARP included.
const DRAIN_TIMEOUT_MS: u32 = 5_000;

defmt::timestamp!("{=u32:ms}", clock::millis());

// The network's and the reporter's memory, statically allocated (`.bss`, counted by `size`)
// and initialized once at run time.
static mut ETH: MaybeUninit<StellarisEth> = MaybeUninit::uninit();
static mut UDP_TX_META: MaybeUninit<[udp::PacketMetadata; UDP_TX_SLOTS]> = MaybeUninit::uninit();
/// Room for `UDP_TX_SLOTS` datagrams of 1472 bytes, the largest the `LineBuffer` sends.
static mut UDP_TX_DATA: [u8; UDP_TX_SLOTS * 1472] = [0; UDP_TX_SLOTS * 1472];
static mut SOCKET_STORAGE: MaybeUninit<[SocketStorage<'static>; 1]> = MaybeUninit::uninit();
static mut SOCKETS: MaybeUninit<SocketSet<'static>> = MaybeUninit::uninit();
static mut REPORTER: MaybeUninit<Reporter> = MaybeUninit::uninit();

#[entry]
fn main() -> ! {
    stack::paint();
    let Some(cp) = cortex_m::Peripherals::take() else {
        qemu::exit(false)
    };
    let clock = Clock::start(cp.SYST, clock::QEMU_SYSCLK_HZ);

    // SAFETY: `main` runs once and is the only user of these statics and of the MAC.
    let (eth, udp_tx_meta, udp_tx_data, socket_storage, sockets_slot, reporter_slot) = unsafe {
        (
            (*addr_of_mut!(ETH)).write(StellarisEth::new()),
            (*addr_of_mut!(UDP_TX_META)).write([udp::PacketMetadata::EMPTY; UDP_TX_SLOTS]),
            &mut *addr_of_mut!(UDP_TX_DATA),
            (*addr_of_mut!(SOCKET_STORAGE)).write([SocketStorage::EMPTY]),
            &mut *addr_of_mut!(SOCKETS),
            &mut *addr_of_mut!(REPORTER),
        )
    };

    let mac = eth.mac_address();
    let mut config = Config::new(EthernetAddress(mac).into());
    config.random_seed = 0x5eed;
    let mut iface = Interface::new(config, eth, clock.instant());
    iface.update_ip_addrs(|addrs| {
        let _ = addrs.push(IpCidr::new(IpAddress::Ipv4(LOCAL), PREFIX_LEN));
    });
    let _ = iface.routes_mut().add_default_ipv4_route(GATEWAY);

    // Nothing is received: an empty receive ring.
    let (no_rx_meta, no_rx_data): (&mut [udp::PacketMetadata], &mut [u8]) = (&mut [], &mut []);
    let mut socket = udp::Socket::new(
        udp::PacketBuffer::new(no_rx_meta, no_rx_data),
        udp::PacketBuffer::new(&mut udp_tx_meta[..], &mut udp_tx_data[..]),
    );
    if let Err(e) = socket.bind(LOCAL_PORT) {
        let why = match e {
            udp::BindError::InvalidState => "invalid state",
            udp::BindError::Unaddressable => "unaddressable",
        };
        defmt::error!("bind: {=str}", why);
        qemu::exit(false);
    }
    let sockets = sockets_slot.write(SocketSet::new(&mut socket_storage[..]));
    let handle = sockets.add(socket);

    let reporter = Reporter::init(reporter_slot, handle);
    // Start-up is over: measure its stack peak, then the workload's on its own.
    let boot_stack_peak = stack::peak();
    stack::paint();
    let [m0, m1, m2, m3, m4, m5] = mac;
    defmt::info!(
        "{=u8:02x}:{=u8:02x}:{=u8:02x}:{=u8:02x}:{=u8:02x}:{=u8:02x} 10.0.2.15/24, spectatord 10.0.2.2:1234, metrics {=bool}",
        m0, m1, m2, m3, m4, m5,
        Reporter::ENABLED
    );

    let mut appliance = Appliance::default();
    for n in 0..TICKS {
        clock.wait_until(n * TICK_MS);
        let tick = appliance.tick(n);
        if let Err(nb::Error::Other(e)) = reporter.tick(&tick, clock.now(), sockets) {
            defmt::warn!("flush failed: {}", e);
        }
        iface.poll(clock.instant(), eth, sockets);
    }

    // Report and flush, then poll until the socket's queue is empty (the first datagram waits
    // for ARP).
    let deadline = clock.millis() + DRAIN_TIMEOUT_MS;
    let mut flushed = false;
    loop {
        if !flushed {
            flushed = match reporter.flush(sockets) {
                Ok(()) => true,
                Err(nb::Error::WouldBlock) => false,
                Err(nb::Error::Other(e)) => {
                    defmt::warn!("flush failed: {}", e);
                    true
                }
            };
        }
        iface.poll(clock.instant(), eth, sockets);
        if flushed && reporter.queued(sockets) == 0 {
            break;
        }
        if clock.millis() > deadline {
            defmt::error!("{} bytes still queued", reporter.queued(sockets));
            qemu::exit(false);
        }
        clock.wait_until(clock.millis() + 1);
    }

    let summary = reporter.summary();
    let stack_peak = stack::peak();
    defmt::info!(
        "done at {=u32} ms: {}, stack peak {=u32} bytes ({=u32} at start-up), {=u32} frames dropped by the driver",
        clock.millis(),
        summary,
        stack_peak,
        boot_stack_peak,
        eth.rx_dropped
    );
    qemu::report(&[
        ("metrics", u32::from(Reporter::ENABLED)),
        ("lines", summary.lines),
        ("datagrams", summary.datagrams),
        ("dropped", summary.dropped),
        ("boot_stack_peak", boot_stack_peak),
        ("stack_peak", stack_peak),
        ("reporter_bytes", core::mem::size_of::<Reporter>() as u32),
        ("line_buffer_bytes", Reporter::LINE_BUFFER_BYTES as u32),
    ]);
    qemu::exit(summary.dropped == 0)
}
