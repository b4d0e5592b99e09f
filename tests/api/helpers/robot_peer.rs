//! The robots' platforms on loopback (`tests/support/robot_peer.py`): real HTTP servers that
//! check signatures, answer with the platforms' error codes, enforce their rate limits and
//! record what they accepted.

use serde_json::Value;

pub struct RobotPeer {
    pub port: u16,
    child: std::process::Child,
}

impl RobotPeer {
    /// Starts a peer with `args` (`--dingtalk-secret S`, `--rate 20`, `--minute 3`, …).
    pub async fn start(args: &[&str]) -> Self {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let (child, port) = super::smtp::python_peer("robot_peer.py", &args).await;
        Self { port, child }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Every request the peer accepted: `{"platform", "path", "headers", "body"}`.
    pub async fn received(&self) -> Vec<Value> {
        reqwest::get(self.url("/_received"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// How many requests each platform saw, accepted or not.
    pub async fn requests(&self, platform: &str) -> i64 {
        let counts: Value = reqwest::get(self.url("/_requests"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        counts[platform].as_i64().unwrap_or(0)
    }
}

impl Drop for RobotPeer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
