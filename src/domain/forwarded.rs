//! The client's address behind a reverse proxy. `X-Forwarded-For` is believed only when the
//! connection comes from a configured proxy, and then read from the right: each proxy
//! appends the address it saw, so the first entry from the right that is not one of our
//! proxies is the client (entries to its left were written by the client and prove nothing).

use std::net::IpAddr;

pub fn client_address(peer: Option<IpAddr>, forwarded_for: Option<&str>, trusted: &[IpAddr]) -> String {
    let Some(peer) = peer else { return String::new() };
    if !trusted.contains(&peer) {
        return peer.to_string();
    }
    let Some(header) = forwarded_for else { return peer.to_string() };
    let mut hops = header.split(',').rev().map(|h| h.trim().parse::<IpAddr>());
    let mut last = peer;
    for hop in hops.by_ref() {
        match hop {
            Ok(ip) if trusted.contains(&ip) => last = ip,
            Ok(ip) => return ip.to_string(),
            // A malformed entry: nothing to its left can be trusted either.
            Err(_) => break,
        }
    }
    last.to_string()
}

#[cfg(test)]
mod tests {
    use super::client_address;
    use std::net::IpAddr;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_counts_only_from_a_trusted_proxy() {
        let proxy = [ip("10.0.0.2")];
        // Straight from a client: its header is its own say-so.
        assert_eq!(client_address(Some(ip("203.0.113.9")), Some("198.51.100.1"), &proxy), "203.0.113.9");
        // Through the proxy: the address it saw.
        assert_eq!(client_address(Some(ip("10.0.0.2")), Some("198.51.100.1"), &proxy), "198.51.100.1");
        // A client's forged entries to the left are skipped.
        assert_eq!(client_address(Some(ip("10.0.0.2")), Some("1.2.3.4, 198.51.100.1"), &proxy), "198.51.100.1");
        // Two proxies of ours in a row.
        let two = [ip("10.0.0.2"), ip("10.0.0.3")];
        assert_eq!(client_address(Some(ip("10.0.0.2")), Some("198.51.100.1, 10.0.0.3"), &two), "198.51.100.1");
        // No header, or garbage: the proxy's own address.
        assert_eq!(client_address(Some(ip("10.0.0.2")), None, &proxy), "10.0.0.2");
        assert_eq!(client_address(Some(ip("10.0.0.2")), Some("not-an-ip"), &proxy), "10.0.0.2");
        assert_eq!(client_address(None, Some("198.51.100.1"), &proxy), "");
    }
}
