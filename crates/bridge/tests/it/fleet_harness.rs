//! A fleet on loopback, as the deployment docs describe it: three bridge replicas
//! behind haproxy (round robin, no stickiness, health checks on `/health`), on one
//! emulator (Bedrock and AgentCore), with files and skills in S3 (moto's server).
//! Shared by the fleet test and the bridge's bench.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use emulator::Emulator;

/// A moto server on a free loopback port; stopped when dropped.
pub struct Moto {
    child: Child,
    pub url: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Moto {
    /// Starts one, or `None` (with a message) where moto is not installed and the
    /// test may skip.
    pub fn start() -> Option<Moto> {
        let installed = Command::new("python3")
            .args(["-c", "import moto.server"])
            .status()
            .is_ok_and(|s| s.success());
        if !installed {
            let required =
                std::env::var_os("MIGRATION_REQUIRE_TEST_DEPS").is_some_and(|v| !v.is_empty());
            assert!(!required, "moto is missing and MIGRATION_REQUIRE_TEST_DEPS is set");
            eprintln!("skipped: moto's S3 server is missing (pip install 'moto[server]')");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut child = Command::new("python3")
            .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto starts");
        let url = format!("http://127.0.0.1:{port}");
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(Moto { child, url });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("moto did not listen on {url}");
    }

    /// AWS settings for it (moto takes any credentials).
    pub fn sdk_config(&self) -> aws_config::SdkConfig {
        let credentials =
            aws_credential_types::Credentials::new("test", "test", None, None, "moto");
        aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-west-2"))
            .endpoint_url(&self.url)
            .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(
                credentials,
            ))
            .build()
    }

    /// Makes `bucket`.
    pub async fn bucket(&self, bucket: &str) {
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&self.sdk_config()).force_path_style(true).build(),
        );
        let location = aws_sdk_s3::types::CreateBucketConfiguration::builder()
            .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::UsWest2)
            .build();
        s3.create_bucket()
            .bucket(bucket)
            .create_bucket_configuration(location)
            .send()
            .await
            .unwrap();
    }
}

/// Whether the machine has `program`; where `MIGRATION_REQUIRE_TEST_DEPS` is set, its
/// absence fails instead.
pub fn have(program: &str, install: &str) -> bool {
    let found = Command::new(program)
        .arg("-v")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        let required =
            std::env::var_os("MIGRATION_REQUIRE_TEST_DEPS").is_some_and(|v| !v.is_empty());
        assert!(
            !required,
            "{program} is missing and MIGRATION_REQUIRE_TEST_DEPS is set ({install})"
        );
        eprintln!("skipped: {program} is missing ({install})");
    }
    found
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn wait_for(port: u16, path: &str) {
    for _ in 0..400 {
        if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            use std::io::{Read, Write};
            let _ = write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
            let mut answer = String::new();
            let _ = stream.read_to_string(&mut answer);
            if answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200") {
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("nothing answered {path} on port {port}");
}

/// The key every replica takes.
pub const FLEET_KEY: &str = "sk-bridge-fleet";

/// One replica: its port and, while it runs, its process.
struct Replica {
    name: String,
    port: u16,
    child: Option<Child>,
}

/// The fleet.
pub struct Fleet {
    pub emulator: Emulator,
    _moto: Moto,
    replicas: Vec<Replica>,
    haproxy: Child,
    /// The load balancer: what clients are pointed at.
    pub url: String,
    env: Vec<(String, String)>,
    _config: tempfile::TempDir,
}

impl Drop for Fleet {
    fn drop(&mut self) {
        for replica in &mut self.replicas {
            if let Some(mut child) = replica.child.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
        let _ = self.haproxy.kill();
        let _ = self.haproxy.wait();
    }
}

impl Fleet {
    /// Three replicas behind haproxy; `None` where haproxy or moto is missing (and
    /// the caller may skip).
    pub async fn start() -> Option<Fleet> {
        if !have("haproxy", "apt-get install haproxy") {
            return None;
        }
        let moto = tokio::task::spawn_blocking(Moto::start).await.unwrap()?;
        moto.bucket("fleet").await;
        let emulator = Emulator::builder().progress(false).start().await.unwrap();
        let mut env: Vec<(String, String)> =
            emulator.env_vars().into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        env.push(("AWS_ENDPOINT_URL_S3".into(), moto.url.clone()));
        env.push(("RUST_LOG".into(), "off".into()));
        let replicas: Vec<Replica> = (0..3)
            .map(|i| Replica { name: format!("replica-{i}"), port: free_port(), child: None })
            .collect();
        let config = tempfile::tempdir().unwrap();
        let lb_port = free_port();
        let servers: String = replicas
            .iter()
            .map(|r| format!("  server {} 127.0.0.1:{} check\n", r.name, r.port))
            .collect();
        let haproxy_cfg = format!(
            "global\n  maxconn 4000\n\
             defaults\n  mode http\n  timeout connect 2s\n  timeout client 10m\n  timeout server 10m\n  \
             retries 3\n  option redispatch\n\
             frontend fleet\n  bind 127.0.0.1:{lb_port}\n  default_backend bridges\n\
             backend bridges\n  balance roundrobin\n  option httpchk GET /health\n  \
             http-check expect status 200\n  default-server inter 200ms fall 1 rise 1\n{servers}"
        );
        let cfg_path = config.path().join("haproxy.cfg");
        std::fs::write(&cfg_path, haproxy_cfg).unwrap();
        let haproxy = Command::new("haproxy")
            .arg("-f")
            .arg(&cfg_path)
            .arg("-db")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("haproxy starts");
        let mut fleet = Fleet {
            emulator,
            _moto: moto,
            replicas,
            haproxy,
            url: format!("http://127.0.0.1:{lb_port}"),
            env,
            _config: config,
        };
        for i in 0..3 {
            fleet.start_replica(i);
        }
        // Through the load balancer, once every replica is up there.
        wait_for(lb_port, "/health");
        std::thread::sleep(Duration::from_millis(500));
        Some(fleet)
    }

    /// Starts replica `i` (again), on its port, and waits until it answers.
    pub fn start_replica(&mut self, i: usize) {
        let replica = &mut self.replicas[i];
        let child = Command::new(env!("CARGO_BIN_EXE_bridge"))
            .args(["--listen", &format!("127.0.0.1:{}", replica.port)])
            .args(["--api-key", FLEET_KEY, "--replica", &replica.name])
            .args(["--files", "s3://fleet/bridge", "--s3-path-style", "--keep-containers"])
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("a replica starts");
        replica.child = Some(child);
        wait_for(replica.port, "/health");
    }

    /// Kills replica `i` at once (SIGKILL), as a crashed host would.
    pub fn kill(&mut self, i: usize) {
        if let Some(mut child) = self.replicas[i].child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    /// Stops replica `i` as a deployment does (SIGTERM): it finishes what it serves.
    pub fn terminate(&mut self, i: usize) -> std::process::ExitStatus {
        let mut child = self.replicas[i].child.take().expect("the replica runs");
        // SAFETY: kill(2) on our own child's pid has no memory-safety preconditions.
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
        child.wait().unwrap()
    }

    /// Resident memory of replica `i`, in KiB (Linux).
    pub fn rss_kib(&self, i: usize) -> u64 {
        let Some(child) = &self.replicas[i].child else { return 0 };
        std::fs::read_to_string(format!("/proc/{}/status", child.id()))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("VmRSS:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            })
            .unwrap_or(0)
    }

    /// CPU time replica `i` has used, user and system, in seconds (Linux).
    pub fn cpu_seconds(&self, i: usize) -> f64 {
        let Some(child) = &self.replicas[i].child else { return 0.0 };
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", child.id())).unwrap_or_default();
        // After the command's closing parenthesis: fields 3 on; utime and stime are 14 and 15.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.split_whitespace().collect())
            .unwrap_or_default();
        let ticks: f64 = [11, 12].iter().filter_map(|&n| fields.get(n)?.parse::<f64>().ok()).sum();
        // SAFETY: sysconf has no memory-safety preconditions.
        let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
        if per_second > 0.0 { ticks / per_second } else { 0.0 }
    }

    /// The environment that points an SDK at the fleet.
    pub fn sdk_env(&self) -> Vec<(&'static str, String)> {
        vec![("ANTHROPIC_BASE_URL", self.url.clone()), ("ANTHROPIC_API_KEY", FLEET_KEY.to_owned())]
    }
}
