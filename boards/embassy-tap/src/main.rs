//! A stand-in board that runs on the host: the embassy executor and embassy-net (smoltcp 0.13)
//! over a Linux TAP device, with the board's own IP address and MAC, reporting the appliance
//! workload of `embassy-app` to spectatord over UDP.
//!
//! ```text
//! embassy-tap [--tap tap0] [--address 192.168.69.1/24] [--gateway IP]
//!             [--spectatord 192.168.69.100:1234] [--ticks 20] [--pause-ms 10]
//! ```
//!
//! Exits 0 after the last flush when every line was sent, 1 when lines were dropped or a send
//! failed, 2 on a bad argument or a missing TAP device, 3 when the network hung.

use std::net::{Ipv4Addr, SocketAddrV4};
use std::process::exit;

use embassy_executor::Spawner;
use embassy_net::udp::{PacketMetadata, UdpSocket};
use embassy_net::{Config, Ipv4Cidr, Runner, StackResources, StaticConfigV4};
use embassy_net_tuntap::TunTapDevice;
use embassy_time::{with_timeout, Duration, Timer};
use spectator_core::EmbassyUdpTransport;
use static_cell::StaticCell;

struct Args {
    tap: String,
    address: Ipv4Cidr,
    gateway: Option<Ipv4Addr>,
    spectatord: SocketAddrV4,
    ticks: u32,
    pause_ms: u64,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        tap: "tap0".into(),
        address: Ipv4Cidr::new(Ipv4Addr::new(192, 168, 69, 1), 24),
        gateway: None,
        spectatord: SocketAddrV4::new(Ipv4Addr::new(192, 168, 69, 100), 1234),
        ticks: embassy_app::TICKS,
        pause_ms: 10,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        let bad = |e: &dyn std::fmt::Display| format!("{flag} {value}: {e}");
        match flag.as_str() {
            "--tap" => args.tap = value,
            "--address" => {
                let (ip, prefix) = value.split_once('/').ok_or(bad(&"expected IP/prefix"))?;
                let ip: Ipv4Addr = ip.parse().map_err(|e| bad(&e))?;
                let prefix: u8 = prefix.parse().map_err(|e| bad(&e))?;
                args.address = Ipv4Cidr::new(ip, prefix);
            }
            "--gateway" => args.gateway = Some(value.parse().map_err(|e| bad(&e))?),
            "--spectatord" => args.spectatord = value.parse().map_err(|e| bad(&e))?,
            "--ticks" => args.ticks = value.parse().map_err(|e| bad(&e))?,
            "--pause-ms" => args.pause_ms = value.parse().map_err(|e| bad(&e))?,
            _ => return Err(format!("unknown argument {flag}")),
        }
    }
    Ok(args)
}

#[embassy_executor::task]
async fn net_task(mut runner: Runner<'static, TunTapDevice>) -> ! {
    runner.run().await
}

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    let args = parse_args().unwrap_or_else(|e| {
        eprintln!("embassy-tap: {e}");
        exit(2)
    });
    let device = TunTapDevice::new(&args.tap).unwrap_or_else(|e| {
        eprintln!(
            "embassy-tap: cannot open TAP device {}: {e} (see scripts/embassy-tap.sh)",
            args.tap
        );
        exit(2)
    });

    // A static address, as on a board without DHCP. The seed only picks ephemeral ports.
    let config = Config::ipv4_static(StaticConfigV4 {
        address: args.address,
        gateway: args.gateway,
        dns_servers: Default::default(),
    });
    static RESOURCES: StaticCell<StackResources<2>> = StaticCell::new();
    let (stack, runner) = embassy_net::new(
        device,
        config,
        RESOURCES.init(StackResources::new()),
        0x5eed_5bec_7a70_0001,
    );
    spawner.spawn(net_task(runner).expect("the network task is spawned once"));
    stack.wait_config_up().await;

    // Socket buffers as a board would size them: room for two full datagrams to send.
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
    let spectatord = (*args.spectatord.ip(), args.spectatord.port());
    let mut udp = EmbassyUdpTransport::new(socket, spectatord).expect("a free local port");
    println!(
        "embassy-tap: {} on {}, reporting to {} (datagrams up to {} bytes)",
        args.address,
        args.tap,
        args.spectatord,
        spectator_core::AsyncTransport::max_datagram(&udp)
    );

    let pause = Duration::from_millis(args.pause_ms);
    let run = embassy_app::run(&mut udp, args.ticks, async |_| Timer::after(pause).await);
    // The first datagram waits for ARP; a network that never answers must not hang the board.
    let stats = match with_timeout(Duration::from_secs(30), run).await {
        Ok(Ok(stats)) => stats,
        Ok(Err(e)) => {
            eprintln!("embassy-tap: bad meter id: {e:?}");
            exit(1)
        }
        Err(_) => {
            eprintln!("embassy-tap: timed out sending");
            exit(3)
        }
    };
    // The last datagram is queued in the socket: wait until the stack has sent it.
    if with_timeout(Duration::from_secs(10), udp.flush())
        .await
        .is_err()
    {
        eprintln!("embassy-tap: timed out flushing the socket");
        exit(3)
    }
    println!(
        "embassy-tap: sent {} lines in {} datagrams ({} bytes); dropped {}, send errors {}",
        stats.lines_sent,
        stats.datagrams_sent,
        stats.bytes_sent,
        stats.dropped.total(),
        stats.send_errors
    );
    exit(if stats.dropped.total() == 0 && stats.send_errors == 0 {
        0
    } else {
        1
    })
}
