//! CIDR networks for `fd.net`, `fd.snet`, ... (`PT_IPNET`) comparisons.

use std::net::IpAddr;

use super::ValueError;

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
    pub fn parse(s: &str) -> Result<IpNet, ValueError> {
        let (addr, mask) = match s.split_once('/') {
            Some((a, m)) => (a, Some(m)),
            None => (s, None),
        };
        let ip: IpAddr = if s.contains('.') {
            addr.parse::<std::net::Ipv4Addr>().map(IpAddr::V4)
        } else {
            addr.parse::<std::net::Ipv6Addr>().map(IpAddr::V6)
        }
        .map_err(|_| ValueError::IpAddress(s.to_string()))?;
        let max: u8 = if ip.is_ipv4() { 32 } else { 128 };
        let prefix = match mask {
            None => max,
            Some(m) => {
                let t = m.trim_start();
                let t = t.strip_prefix('+').unwrap_or(t);
                match t.parse::<u32>() {
                    Ok(n) if n <= u32::from(max) => n as u8,
                    _ => return Err(ValueError::Netmask(m.to_string())),
                }
            }
        };
        ipnet::IpNet::new(ip, prefix)
            .map(IpNet)
            .map_err(|_| ValueError::Netmask(prefix.to_string()))
    }

    /// Like [`IpNet::parse`], but an IPv4 network must have a `/prefix`
    /// (libsinsp: `unrecognized IP network <s>`).
    pub fn parse_strict(s: &str) -> Result<IpNet, ValueError> {
        if s.contains('.') && !s.contains('/') {
            return Err(ValueError::IpNetwork(s.to_string()));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    /// From libsinsp's `filter_op_net_compare.ut.cpp`.
    #[test]
    fn libsinsp_cases() {
        let server = ip("142.251.111.147");
        assert!(IpNet::parse("142.0.0.0/4").unwrap().contains(server));
        assert!(IpNet::parse("142.251.0.0/8").unwrap().contains(server));
        assert!(IpNet::parse("142.251.111.0/16").unwrap().contains(server));
        assert!(!IpNet::parse("10.0.0.0/8").unwrap().contains(server));
        assert!(!IpNet::parse("2001:db8:abcd:0012::0/64")
            .unwrap()
            .contains(server));
        let v6 = ip("2001:4860:4860::8888");
        assert!(IpNet::parse("2001::0/16").unwrap().contains(v6));
        assert!(IpNet::parse("2001:4860::0/32").unwrap().contains(v6));
        assert!(IpNet::parse("2001:4860:4860::8888/48")
            .unwrap()
            .contains(v6));
        assert!(!IpNet::parse("10::0/16").unwrap().contains(v6));
        assert!(!IpNet::parse("10.0.0.0/8").unwrap().contains(v6));
    }

    #[test]
    fn falco_rules_networks() {
        // `fd.net != "127.0.0.0/8"` and `fd.snet in (rfc_1918_addresses)`.
        let lo = IpNet::parse("127.0.0.0/8").unwrap();
        assert!(lo.contains(ip("127.1.2.3")));
        assert!(!lo.contains(ip("128.0.0.1")));
        let rfc1918: Vec<IpNet> = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]
            .iter()
            .map(|s| IpNet::parse(s).unwrap())
            .collect();
        let inside = |a: &str| rfc1918.iter().any(|n| n.contains(ip(a)));
        assert!(inside("10.255.0.1"));
        assert!(inside("172.31.255.255"));
        assert!(!inside("172.32.0.0"));
        assert!(inside("192.168.1.1"));
        assert!(!inside("8.8.8.8"));
        assert!(!inside("::1"));
    }

    #[test]
    fn bare_addresses_and_prefixes() {
        let h = IpNet::parse("10.1.2.3").unwrap();
        assert_eq!(h.prefix_len(), 32);
        assert!(h.contains(ip("10.1.2.3")));
        assert!(!h.contains(ip("10.1.2.4")));
        let h6 = IpNet::parse("::1").unwrap();
        assert_eq!(h6.prefix_len(), 128);
        assert!(h6.contains(ip("::1")));
        assert!(IpNet::parse("::1/128").unwrap().contains(ip("::1")));
        assert!(IpNet::parse("0.0.0.0/0").unwrap().contains(ip("1.2.3.4")));
        assert!(IpNet::parse("::/0").unwrap().contains(ip("fe80::1")));
        assert_eq!(
            IpNet::parse("142.251.0.0/8").unwrap().network(),
            ip("142.0.0.0")
        );
        assert_eq!(
            IpNet::parse_strict("10.1.2.3").unwrap_err(),
            ValueError::IpNetwork("10.1.2.3".into())
        );
        assert!(IpNet::parse_strict("10.0.0.0/8").is_ok());
    }

    #[test]
    fn errors() {
        assert_eq!(
            IpNet::parse("10.0.0.0/33").unwrap_err(),
            ValueError::Netmask("33".into())
        );
        assert_eq!(
            IpNet::parse("10.0.0.0/x").unwrap_err().to_string(),
            "invalid netmask x"
        );
        assert_eq!(
            IpNet::parse("10.0.0.0/").unwrap_err().to_string(),
            "invalid netmask "
        );
        assert_eq!(
            IpNet::parse("::/129").unwrap_err().to_string(),
            "invalid netmask 129"
        );
        assert_eq!(
            IpNet::parse("10.0.0/8").unwrap_err().to_string(),
            "unrecognized IP address 10.0.0/8"
        );
        assert_eq!(
            IpNet::parse("bogus").unwrap_err(),
            ValueError::IpAddress("bogus".into())
        );
        assert!(IpNet::parse("").is_err());
        assert!(IpNet::parse("::ffff:1.2.3.4/96").is_err()); // a '.' means IPv4, like libsinsp
    }
}
