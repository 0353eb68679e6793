//! ESP32-C3 firmware: a Wi-Fi appliance reporting its health to spectatord over UDP with
//! embassy-net, through spectator-core (`metrics.rs`).
//!
//! Three tasks on esp-rtos's embassy executor:
//! - `wifi_task` owns the Wi-Fi controller: joins the network, samples the RSSI while joined,
//!   re-joins when the link drops; it hands the RSSI and each re-join to the metrics' aggregated
//!   meters directly ([`Reporter::rssi`], [`Reporter::reconnected`]);
//! - `net_task` runs the embassy-net stack (DHCP, ARP, UDP);
//! - `main`'s loop ticks every [`TICK`]: samples the free heap and the uptime, reports the
//!   aggregated meters and sends what was recorded when a report is due (every
//!   [`REPORT_INTERVAL`](metrics::REPORT_INTERVAL)), and records how long the tick's work took.
//!
//! Build-time environment variables (see README.md): `SSID` (default `spectator`), `PASSWORD`
//! (default empty: an open network; else WPA/WPA2 Personal) and `SPECTATORD` (`host:port`,
//! default `192.168.1.10:1234`).

#![no_std]
#![no_main]

use core::net::{Ipv4Addr, SocketAddrV4};

use embassy_executor::Spawner;
use embassy_futures::select::{select, Either};
use embassy_net::udp::{PacketMetadata, UdpSocket};
use embassy_net::{Runner, StackResources};
use embassy_time::{Duration, Instant, Ticker, Timer};
use esp_hal::clock::CpuClock;
use esp_hal::rng::Rng;
use esp_hal::timer::timg::TimerGroup;
use esp_println::println;
use esp_radio::wifi::sta::StationConfig;
use esp_radio::wifi::{
    AuthenticationMethodConfig, Config, ControllerConfig, Interface, WifiController,
};
use static_cell::StaticCell;

use esp_backtrace as _;

#[cfg(feature = "metrics")]
mod metrics;
#[cfg(not(feature = "metrics"))]
#[path = "no_metrics.rs"]
mod metrics;

use metrics::Reporter;

esp_bootloader_esp_idf::esp_app_desc!();

const SSID: &str = match option_env!("SSID") {
    Some(ssid) => ssid,
    None => "spectator",
};
const PASSWORD: &str = match option_env!("PASSWORD") {
    Some(password) => password,
    None => "",
};
const SPECTATORD: &str = match option_env!("SPECTATORD") {
    Some(addr) => addr,
    None => "192.168.1.10:1234",
};
const DEFAULT_SPECTATORD: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(192, 168, 1, 10), 1234);

/// The appliance's loop period.
const TICK: Duration = Duration::from_secs(1);
/// How often the Wi-Fi task reads the RSSI while joined.
const RSSI_EVERY: Duration = Duration::from_secs(5);
/// Wait before joining again after a failed attempt.
const RETRY_AFTER: Duration = Duration::from_secs(5);

fn micros(us: u64) -> core::time::Duration {
    core::time::Duration::from_micros(us)
}

#[embassy_executor::task]
async fn net_task(mut runner: Runner<'static, Interface>) -> ! {
    runner.run().await
}

#[embassy_executor::task]
async fn wifi_task(mut controller: WifiController<'static>) -> ! {
    let mut joins = 0u32;
    loop {
        match controller.connect_async().await {
            Ok(info) => {
                joins += 1;
                println!(
                    "wifi: joined {} on channel {}",
                    info.ssid.as_str(),
                    info.channel
                );
                if joins > 1 {
                    Reporter::reconnected();
                }
                // Sample the RSSI until the link drops (wait_for_disconnect_async returns at
                // once when it dropped in between).
                loop {
                    if let Ok(dbm) = controller.rssi() {
                        Reporter::rssi(dbm);
                    }
                    let dropped = controller.wait_for_disconnect_async();
                    if let Either::First(_) = select(dropped, Timer::after(RSSI_EVERY)).await {
                        break;
                    }
                }
                println!("wifi: link lost, joining again");
            }
            Err(e) => {
                println!("wifi: joining {SSID} failed: {e:?}");
                Timer::after(RETRY_AFTER).await;
            }
        }
    }
}

#[esp_rtos::main]
async fn main(spawner: Spawner) -> ! {
    let peripherals = esp_hal::init(esp_hal::Config::default().with_cpu_clock(CpuClock::max()));
    // The Wi-Fi driver's heap: the RAM the second-stage bootloader used, then some more.
    esp_alloc::heap_allocator!(#[esp_hal::ram(reclaimed)] size: 64 * 1024);
    esp_alloc::heap_allocator!(size: 36 * 1024);

    let timg0 = TimerGroup::new(peripherals.TIMG0);
    esp_rtos::start(timg0.timer0, peripherals.FROM_CPU_INTR0);

    let auth = if PASSWORD.is_empty() {
        AuthenticationMethodConfig::Open
    } else {
        AuthenticationMethodConfig::WpaWpa2Personal(PASSWORD.try_into().expect("PASSWORD too long"))
    };
    let station = StationConfig::default()
        .with_ssid(SSID.try_into().expect("SSID too long"))
        .with_authentication(auth);
    let controller = WifiController::new(
        peripherals.WIFI,
        ControllerConfig::default().with_initial_config(Config::Station(station)),
    )
    .expect("Wi-Fi controller");

    let rng = Rng::new();
    let seed = (u64::from(rng.random()) << 32) | u64::from(rng.random());
    static RESOURCES: StaticCell<StackResources<3>> = StaticCell::new();
    let (stack, runner) = embassy_net::new(
        Interface::station(),
        embassy_net::Config::dhcpv4(Default::default()),
        RESOURCES.init(StackResources::new()),
        seed,
    );
    spawner.spawn(net_task(runner).expect("net task"));
    spawner.spawn(wifi_task(controller).expect("wifi task"));

    println!("esp32c3-wifi: joining {SSID}, reporting to {SPECTATORD}");
    stack.wait_config_up().await;
    if let Some(config) = stack.config_v4() {
        println!("esp32c3-wifi: address {}", config.address);
    }

    // Room for two datagrams in the transmit ring (smoltcp stores each one contiguously).
    let mut rx_meta = [PacketMetadata::EMPTY; 1];
    let mut rx_buffer = [0u8; 16];
    let mut tx_meta = [PacketMetadata::EMPTY; 4];
    let mut tx_buffer = [0u8; 2 * metrics::MAX_DATAGRAM];
    let socket = UdpSocket::new(
        stack,
        &mut rx_meta,
        &mut rx_buffer,
        &mut tx_meta,
        &mut tx_buffer,
    );
    let spectatord: SocketAddrV4 = SPECTATORD.parse().unwrap_or(DEFAULT_SPECTATORD);
    let mut reporter = Reporter::new(socket, spectatord).expect("bind a UDP port");

    let mut ticker = Ticker::every(TICK);
    loop {
        ticker.next().await;
        let start = Instant::now();
        let uptime = micros(start.as_micros());
        // The appliance's own work (sensors, actuators) goes here.
        Reporter::sample(esp_alloc::HEAP.free(), uptime);
        if reporter.report_if_due(uptime).await {
            let s = reporter.summary();
            println!(
                "esp32c3-wifi: metrics={} lines={} datagrams={} dropped={} send_errors={}",
                Reporter::ENABLED as u8,
                s.lines,
                s.datagrams,
                s.dropped,
                s.send_errors
            );
        }
        // This tick's time, the report's included: it is sent with the next report.
        reporter
            .loop_time(micros(start.elapsed().as_micros()))
            .await;
    }
}
