//! Who is asking, by address: the connection's peer, or, when the peer is
//! one of the proxies named in `HARBOUR_TRUSTED_PROXIES`, the nearest
//! address in `X-Forwarded-For` that is not a trusted proxy. Anyone can
//! write `X-Forwarded-For`, so it is believed only from those proxies.

use axum::http::HeaderMap;
use std::net::IpAddr;

/// Addresses and networks (`10.0.0.0/8`, `127.0.0.1`, `::1`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

impl TrustedProxies {
    /// A comma- or space-separated list; an error names the bad entry.
    pub fn parse(raw: &str) -> anyhow::Result<TrustedProxies> {
        let mut networks = Vec::new();
        for entry in raw
            .split([',', ' '])
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            let (address, bits) = match entry.split_once('/') {
                Some((address, bits)) => (address, Some(bits)),
                None => (entry, None),
            };
            let address: IpAddr = address.parse().map_err(|_| bad(entry))?;
            let max = if address.is_ipv4() { 32 } else { 128 };
            let bits = match bits {
                Some(bits) => bits
                    .parse::<u8>()
                    .ok()
                    .filter(|b| *b <= max)
                    .ok_or_else(|| bad(entry))?,
                None => max,
            };
            networks.push((address, bits));
        }
        Ok(TrustedProxies(networks))
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0
            .iter()
            .any(|(network, bits)| in_network(ip, *network, *bits))
    }

    /// The client's address for a request from `peer` with `headers`.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.contains(peer) {
            return peer;
        }
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect::<Vec<_>>();
        // Walk from the nearest hop back; the first untrusted one is the client.
        let mut client = peer;
        for hop in forwarded.iter().rev() {
            let Some(ip) = parse_hop(hop) else {
                break;
            };
            client = ip;
            if !self.contains(ip) {
                break;
            }
        }
        client
    }
}

/// The address a client is throttled under: IPv4 as is; IPv6 by its /64,
/// which one subscriber holds whole.
pub fn throttle_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// An address as proxies write it: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`
/// or `[2001:db8::1]:5678`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse() {
        return Some(ip);
    }
    if let Some(rest) = hop.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    hop.rsplit_once(':')?
        .0
        .parse::<std::net::Ipv4Addr>()
        .ok()
        .map(IpAddr::V4)
}

fn bad(entry: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "HARBOUR_TRUSTED_PROXIES must list addresses or networks like 10.0.0.0/8, not `{entry}`."
    )
}

fn in_network(ip: IpAddr, network: IpAddr, bits: u8) -> bool {
    let (ip, network, width) = match (ip, network) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (u128::from(u32::from(a)), u128::from(u32::from(b)), 32),
        (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b), 128),
        (IpAddr::V6(a), IpAddr::V4(b)) => match a.to_ipv4_mapped() {
            Some(a) => (u128::from(u32::from(a)), u128::from(u32::from(b)), 32),
            None => return false,
        },
        (IpAddr::V4(_), IpAddr::V6(_)) => return false,
    };
    if bits == 0 {
        return true;
    }
    let shift = width - u32::from(bits);
    (ip >> shift) == (network >> shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(forwarded: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", forwarded.parse().expect("header"));
        headers
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let proxies = TrustedProxies::parse("10.0.0.0/8, 127.0.0.1").expect("parsed");
        let ip = |s: &str| s.parse::<IpAddr>().expect("ip");
        // Not through a trusted proxy: the header is anyone's to write.
        assert_eq!(
            proxies.client(ip("203.0.113.9"), &headers("1.2.3.4")),
            ip("203.0.113.9")
        );
        // Through the proxy: the nearest untrusted hop, not what the client claimed first.
        assert_eq!(
            proxies.client(ip("10.1.2.3"), &headers("6.6.6.6, 198.51.100.7, 10.9.9.9")),
            ip("198.51.100.7")
        );
        assert_eq!(
            proxies.client(ip("127.0.0.1"), &HeaderMap::new()),
            ip("127.0.0.1")
        );
        assert!(
            TrustedProxies::default().client(ip("10.1.2.3"), &headers("1.2.3.4")) == ip("10.1.2.3")
        );
        assert!(proxies.contains(ip("::ffff:10.0.0.1")));
        assert_eq!(
            proxies.client(ip("10.1.2.3"), &headers("198.51.100.7:5678")),
            ip("198.51.100.7")
        );
        assert_eq!(
            proxies.client(ip("10.1.2.3"), &headers("[2001:db8::1]:443")),
            ip("2001:db8::1")
        );
        for bad in ["10.0.0.0/33", "proxy.local", "10.0.0.0/x"] {
            assert!(TrustedProxies::parse(bad).is_err(), "{bad}");
        }
    }
}
