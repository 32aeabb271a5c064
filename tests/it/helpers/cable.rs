//! A TCP forwarder between the app and Postgres, to play database outages with real sockets.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};

/// A TCP forwarder to Postgres that can be cut and restored, or stalled and resumed, to play a
/// database outage.
pub struct Cable {
    pub port: u16,
    up: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
    flow: Arc<Flow>,
}

/// Whether bytes may cross the cable, and the wake-up of the pumps that wait for it.
#[derive(Default)]
struct Flow {
    stalled: Mutex<bool>,
    resumed: Condvar,
}

impl Flow {
    /// Returns once bytes may flow.
    fn wait(&self) {
        let mut stalled = self.stalled.lock().unwrap();
        while *stalled {
            stalled = self.resumed.wait(stalled).unwrap();
        }
    }

    fn set(&self, stalled: bool) {
        *self.stalled.lock().unwrap() = stalled;
        self.resumed.notify_all();
    }
}

impl Cable {
    /// A cable to the Postgres server of `url`, and `url` rewritten to go through it.
    pub fn in_front_of(url: &str) -> (Self, String) {
        let authority = url
            .split('@')
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .unwrap()
            .to_owned();
        let cable = Self::to(authority.clone());
        let through = url.replace(&authority, &format!("127.0.0.1:{}", cable.port));
        (cable, through)
    }

    pub fn to(target: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let open = Arc::new(Mutex::new(Vec::new()));
        let flow = Arc::new(Flow::default());
        let (up2, open2, flow2) = (up.clone(), open.clone(), flow.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                if !up2.load(Ordering::SeqCst) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(server) = TcpStream::connect(&target) else {
                    continue;
                };
                open2
                    .lock()
                    .unwrap()
                    .extend([client.try_clone().unwrap(), server.try_clone().unwrap()]);
                for (mut from, mut to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    let flow = flow2.clone();
                    std::thread::spawn(move || {
                        let mut buf = [0u8; 16 * 1024];
                        while let Ok(n) = from.read(&mut buf) {
                            if n == 0 {
                                break;
                            }
                            // Stalled: what was read is held, and the rest waits in the kernel's
                            // buffers; both ends stay connected, as with a hung server.
                            flow.wait();
                            if to.write_all(&buf[..n]).is_err() {
                                break;
                            }
                        }
                        let _ = to.shutdown(Shutdown::Both);
                    });
                }
            }
        });
        Self {
            port,
            up,
            open,
            flow,
        }
    }

    /// Closes every connection and refuses new ones: a restart, a failover.
    pub fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for s in self.open.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
        // Held bytes go nowhere now: let the pumps see their sockets are closed.
        self.flow.set(false);
    }

    pub fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }

    /// Keeps every connection open, and accepts new ones, but lets no byte through either way: a
    /// server or network that stops answering without closing anything.
    pub fn stall(&self) {
        self.flow.set(true);
    }

    /// Lets the held bytes, and all that follow, through again.
    pub fn resume(&self) {
        self.flow.set(false);
    }
}
