//! A certificate authority of a test's own, made with Debian's openssl: its CA certificate and a
//! server certificate it signed for 127.0.0.1 and localhost, for a throwaway MariaDB that requires
//! TLS (`ThrowawayMariaDb::try_start(&ca.server_options())`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub struct TestCa {
    dir: tempfile::TempDir,
}

fn openssl(dir: &Path, args: &[&str]) -> Result<(), String> {
    let output = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("openssl is not installed: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "openssl {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

impl TestCa {
    /// A new CA named `name` and a server certificate signed by it; panics when openssl fails.
    pub fn new(name: &str) -> TestCa {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path();
        let subject = format!("/CN={name}");
        let steps: [&[&str]; 3] = [
            &[
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", &subject,
                "-keyout", "ca.key", "-out", "ca.pem",
            ],
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-subj",
                "/CN=127.0.0.1",
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
            ],
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                "server.ext",
                "-out",
                "server.pem",
            ],
        ];
        std::fs::write(
            path.join("server.ext"),
            "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n\
             extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n",
        )
        .expect("the extensions file");
        for step in steps {
            openssl(path, step).unwrap_or_else(|e| panic!("{e}"));
        }
        TestCa { dir }
    }

    /// The CA certificate (PEM): what a client trusts.
    pub fn ca(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// `mariadbd` options serving this CA's server certificate and refusing plain connections.
    pub fn server_options(&self) -> Vec<String> {
        let file = |name: &str| self.dir.path().join(name).display().to_string();
        vec![
            format!("--ssl-ca={}", file("ca.pem")),
            format!("--ssl-cert={}", file("server.pem")),
            format!("--ssl-key={}", file("server.key")),
            "--require-secure-transport=ON".into(),
        ]
    }
}
