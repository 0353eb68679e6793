//! Nucleo-F767ZI firmware: the appliance workload of `embassy-app`, sent to spectatord over
//! the board's RMII Ethernet (LAN8742A PHY) with embassy-net.
//!
//! Network settings are compile-time environment variables (see README.md):
//! `SPECTATORD` (default `192.168.1.10:1234`), `BOARD_ADDRESS` (`a.b.c.d/prefix`; DHCP when
//! unset) and `BOARD_GATEWAY`.

#![no_std]
#![no_main]

use core::net::{Ipv4Addr, SocketAddrV4};

use embassy_executor::Spawner;
use embassy_net::udp::{PacketMetadata, UdpSocket};
use embassy_net::{Config as NetConfig, Ipv4Cidr, Runner, StackResources, StaticConfigV4};
use embassy_stm32::eth::{Ethernet, GenericPhy, PacketQueue, Sma};
use embassy_stm32::peripherals::{ETH, ETH_SMA};
use embassy_stm32::rng::Rng;
use embassy_stm32::time::Hertz;
use embassy_stm32::{bind_interrupts, eth, peripherals, rng};
use embassy_time::Timer;
use spectator_core::EmbassyUdpTransport;
use static_cell::StaticCell;

use panic_halt as _;

bind_interrupts!(struct Irqs {
    ETH => eth::InterruptHandler;
    RNG => rng::InterruptHandler<peripherals::RNG>;
});

type Device = Ethernet<'static, ETH, GenericPhy<Sma<'static, ETH_SMA>>>;

const SPECTATORD: &str = match option_env!("SPECTATORD") {
    Some(addr) => addr,
    None => "192.168.1.10:1234",
};

/// The MAC address: locally administered (bit 1 of the first byte), unicast.
const MAC: [u8; 6] = [0x02, 0x00, 0x5e, 0xc7, 0x4f, 0x01];

#[embassy_executor::task]
async fn net_task(mut runner: Runner<'static, Device>) -> ! {
    runner.run().await
}

/// 216 MHz from the 8 MHz clock the on-board ST-LINK supplies (HSE bypass); PLL Q gives the
/// RNG its 48 MHz.
fn clocks() -> embassy_stm32::Config {
    use embassy_stm32::rcc::*;
    let mut config = embassy_stm32::Config::default();
    config.rcc.hse = Some(Hse {
        freq: Hertz(8_000_000),
        mode: HseMode::Bypass,
    });
    config.rcc.pll_src = PllSource::HSE;
    config.rcc.pll = Some(Pll {
        prediv: PllPreDiv::DIV4,
        mul: PllMul::MUL216,
        divp: Some(PllPDiv::DIV2),
        divq: Some(PllQDiv::DIV9),
        divr: None,
    });
    config.rcc.ahb_pre = AHBPrescaler::DIV1;
    config.rcc.apb1_pre = APBPrescaler::DIV4;
    config.rcc.apb2_pre = APBPrescaler::DIV2;
    config.rcc.sys = Sysclk::PLL1_P;
    config
}

/// `BOARD_ADDRESS=a.b.c.d/prefix` (and `BOARD_GATEWAY`) at build time, else DHCP.
fn net_config() -> NetConfig {
    let Some(cidr) = option_env!("BOARD_ADDRESS") else {
        return NetConfig::dhcpv4(Default::default());
    };
    let (ip, prefix) = cidr.split_once('/').unwrap_or((cidr, "24"));
    let gateway = option_env!("BOARD_GATEWAY").and_then(|g| g.parse::<Ipv4Addr>().ok());
    NetConfig::ipv4_static(StaticConfigV4 {
        address: Ipv4Cidr::new(
            ip.parse().unwrap_or(Ipv4Addr::new(192, 168, 1, 50)),
            prefix.parse().unwrap_or(24),
        ),
        gateway,
        dns_servers: Default::default(),
    })
}

#[embassy_executor::main]
async fn main(spawner: Spawner) -> ! {
    let p = embassy_stm32::init(clocks());
    let seed = Rng::new(p.RNG, Irqs).next_u64();

    // Nucleo-144 RMII pins; the LAN8742A PHY is found on the SMI bus.
    static PACKETS: StaticCell<PacketQueue<4, 4>> = StaticCell::new();
    let device = Ethernet::new(
        PACKETS.init(PacketQueue::new()),
        p.ETH,
        Irqs,
        p.PA1,  // REF_CLK
        p.PA7,  // CRS_DV
        p.PC4,  // RXD0
        p.PC5,  // RXD1
        p.PG13, // TXD0
        p.PB13, // TXD1
        p.PG11, // TX_EN
        MAC,
        p.ETH_SMA,
        p.PA2, // MDIO
        p.PC1, // MDC
    );

    static RESOURCES: StaticCell<StackResources<3>> = StaticCell::new();
    let (stack, runner) = embassy_net::new(
        device,
        net_config(),
        RESOURCES.init(StackResources::new()),
        seed,
    );
    spawner.spawn(net_task(runner).unwrap());
    stack.wait_config_up().await;

    let mut rx_meta = [PacketMetadata::EMPTY; 1];
    let mut rx_buffer = [0u8; 64];
    let mut tx_meta = [PacketMetadata::EMPTY; 4];
    let mut tx_buffer = [0u8; 2 * embassy_app::MAX_DATAGRAM];
    let socket = UdpSocket::new(
        stack,
        &mut rx_meta,
        &mut rx_buffer,
        &mut tx_meta,
        &mut tx_buffer,
    );
    let spectatord: SocketAddrV4 = SPECTATORD
        .parse()
        .unwrap_or(SocketAddrV4::new(Ipv4Addr::new(192, 168, 1, 10), 1234));
    let mut udp = EmbassyUdpTransport::new(socket, (*spectatord.ip(), spectatord.port())).unwrap();

    // One tick per second, flushed every ten seconds and whenever a datagram is full; lines
    // that cannot be sent are counted in the returned stats and the board goes on.
    loop {
        let _ = embassy_app::run(&mut udp, u32::MAX, async |_| Timer::after_secs(1).await).await;
    }
}
