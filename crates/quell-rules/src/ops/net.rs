//! CIDR networks for `fd.net`, `fd.snet`, ... (`PT_IPNET`) comparisons.

use std::net::IpAddr;

/// An IP network: an address and a prefix length. Host bits in the address
/// are allowed and ignored (`142.251.0.0/8` is `142.0.0.0/8`), as in libsinsp.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IpNet(ipnet::IpNet);

impl IpNet {
    /// Parses `10.0.0.0/8`, `2001:db8::/32`, `::1/128`. A bare address is the
    /// host network (`/32` or `/128`).
    ///
    /// Like libsinsp, a string containing a `.` is IPv4, otherwise IPv6.
    /// Errors: `unrecognized IP address <s>` (bad address part) or
    /// `invalid netmask <m>` (prefix not a number, or above 32 / 128).
    ///
    /// Note: libsinsp rejects a bare IPv4 address for network fields
    /// (`unrecognized IP network <s>`); use [`IpNet::parse_strict`] for that.
    pub fn parse(s: &str) -> Result<IpNet, String> {
        let (addr, mask) = match s.split_once('/') {
            Some((a, m)) => (a, Some(m)),
            None => (s, None),
        };
        let ip: IpAddr = if s.contains('.') {
            addr.parse::<std::net::Ipv4Addr>().map(IpAddr::V4)
        } else {
            addr.parse::<std::net::Ipv6Addr>().map(IpAddr::V6)
        }
        .map_err(|_| format!("unrecognized IP address {s}"))?;
        let max: u8 = if ip.is_ipv4() { 32 } else { 128 };
        let prefix = match mask {
            None => max,
            Some(m) => {
                let t = m.trim_start();
                let t = t.strip_prefix('+').unwrap_or(t);
                match t.parse::<u32>() {
                    Ok(n) if n <= u32::from(max) => n as u8,
                    _ => return Err(format!("invalid netmask {m}")),
                }
            }
        };
        ipnet::IpNet::new(ip, prefix)
            .map(IpNet)
            .map_err(|_| format!("invalid netmask {prefix}"))
    }

    /// Like [`IpNet::parse`], but an IPv4 network must have a `/prefix`
    /// (libsinsp: `unrecognized IP network <s>`).
    pub fn parse_strict(s: &str) -> Result<IpNet, String> {
        if s.contains('.') && !s.contains('/') {
            return Err(format!("unrecognized IP network {s}"));
        }
        IpNet::parse(s)
    }

    /// Whether `ip` is in this network. An address of the other family never is.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.contains(&ip)
    }

    /// The prefix length.
    pub fn prefix_len(&self) -> u8 {
        self.0.prefix_len()
    }

    /// The network address (host bits cleared).
    pub fn network(&self) -> IpAddr {
        self.0.network()
    }
}

impl std::fmt::Display for IpNet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}
