//! Where the portal's own server-side requests may go (SSRF). The portal fetches addresses
//! an admin typed — identity providers' issuers and what their discovery documents name,
//! apps' back-channel logout URIs — so a typed address must not make it read the cloud
//! metadata service (the host's credentials) or talk to a database on the inside. Each
//! address is sorted here, without I/O; the HTTP client refuses the ones not allowed, after
//! resolving the name and before connecting (`federation::outbound`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::Url;

use super::form::InputError;

/// What kind of address an IP address is, as far as a server-side request is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressKind {
    /// Someone's server on the internet.
    Public,
    /// This machine (127.0.0.0/8, ::1).
    Loopback,
    /// The networks inside: RFC 1918, carrier-grade NAT (100.64.0.0/10), unique-local
    /// (fc00::/7), deprecated site-local, benchmarking (198.18.0.0/15), local NAT64.
    Private,
    /// Link-local (169.254.0.0/16, fe80::/10) and the clouds' metadata services elsewhere
    /// (100.100.100.200, 192.0.0.192, fd00:ec2::254): never a server of anyone's.
    LinkLocal,
    /// 0.0.0.0 and ::, which reach this machine.
    Unspecified,
    /// Multicast and the broadcast address.
    Multicast,
    /// "This network", documentation, reserved and protocol-assignment ranges.
    Reserved,
}

impl AddressKind {
    /// Loopback and private addresses: reachable, and allowed only where the operator said
    /// so (`allow_private_network_targets`, for development and test peers).
    pub fn is_internal(self) -> bool {
        matches!(self, AddressKind::Loopback | AddressKind::Private)
    }

    /// The kind in words, for a form error or a log line.
    pub fn describe(self) -> &'static str {
        match self {
            AddressKind::Public => "a public address",
            AddressKind::Loopback => "a loopback address (this machine)",
            AddressKind::Private => "a private network address",
            AddressKind::LinkLocal => "a link-local or cloud metadata address",
            AddressKind::Unspecified => "the unspecified address",
            AddressKind::Multicast => "a multicast or broadcast address",
            AddressKind::Reserved => "a reserved or documentation address",
        }
    }
}

/// Sorts an address. IPv6 forms that carry an IPv4 address (IPv4-mapped, -compatible,
/// NAT64 and 6to4) are sorted by that IPv4 address: `::ffff:169.254.169.254` reaches the
/// metadata service too.
pub fn classify(ip: IpAddr) -> AddressKind {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

/// Whether a server-side request may connect to `ip`: public addresses always; loopback
/// and private ones with `allow_internal`; link-local, metadata, unspecified, multicast and
/// reserved ones never (no development peer lives there).
pub fn may_connect(ip: IpAddr, allow_internal: bool) -> bool {
    match classify(ip) {
        AddressKind::Public => true,
        kind => allow_internal && kind.is_internal(),
    }
}

/// An address a server-side request may not go to, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{ip} is {}", kind.describe())]
pub struct RefusedAddress {
    pub ip: IpAddr,
    pub kind: AddressKind,
}

/// Checks one address.
pub fn check_address(ip: IpAddr, allow_internal: bool) -> Result<(), RefusedAddress> {
    if may_connect(ip, allow_internal) { Ok(()) } else { Err(RefusedAddress { ip, kind: classify(ip) }) }
}

/// The IP address a URL names as its host, if it names one (`https://[::1]/`,
/// `http://10.0.0.1/`; the URL parser already turned `http://0x7f.1/` into `127.0.0.1`).
pub fn literal_host(url: &Url) -> Option<IpAddr> {
    match url.host()? {
        url::Host::Ipv4(v4) => Some(IpAddr::V4(v4)),
        url::Host::Ipv6(v6) => Some(IpAddr::V6(v6)),
        url::Host::Domain(_) => None,
    }
}

/// Checks a URL whose host is an IP address; a name is checked once it is resolved, at
/// request time (what it resolves to may change).
pub fn check_literal_host(url: &Url, allow_internal: bool) -> Result<(), RefusedAddress> {
    literal_host(url).map_or(Ok(()), |ip| check_address(ip, allow_internal))
}

/// For a form: an address the server will send requests to (`what`: "The issuer URL"),
/// refused at once when its host is an IP address no request may go to. A name, or an
/// address that does not parse (the field's own check says so), passes here.
pub fn check_typed_target(uri: &str, what: &str, allow_internal: bool) -> Result<(), InputError> {
    let Ok(url) = Url::parse(uri.trim()) else { return Ok(()) };
    check_literal_host(&url, allow_internal).map_err(|refused| {
        InputError::new(format!(
            "{what} points at {}, {}: the portal sends no requests there.",
            refused.ip,
            refused.kind.describe()
        ))
    })
}

fn classify_v4(ip: Ipv4Addr) -> AddressKind {
    let [a, b, c, _] = ip.octets();
    if ip.is_unspecified() {
        AddressKind::Unspecified
    } else if ip.is_loopback() {
        AddressKind::Loopback
    } else if ip.is_link_local() || ip == Ipv4Addr::new(100, 100, 100, 200) || ip == Ipv4Addr::new(192, 0, 0, 192) {
        // Alibaba's metadata service sits in the carrier-grade NAT range, Oracle's legacy
        // one in 192.0.0.0/24.
        AddressKind::LinkLocal
    } else if ip.is_private() || (a == 100 && (b & 0xc0) == 64) || (a == 198 && (b & 0xfe) == 18) {
        AddressKind::Private
    } else if ip.is_broadcast() || ip.is_multicast() {
        AddressKind::Multicast
    } else if a == 0
        || a >= 240
        || (a == 192 && b == 0 && c == 0)
        || (a == 192 && b == 0 && c == 2)
        || (a == 192 && b == 88 && c == 99)
        || (a == 198 && b == 51 && c == 100)
        || (a == 203 && b == 0 && c == 113)
    {
        AddressKind::Reserved
    } else {
        AddressKind::Public
    }
}

fn classify_v6(ip: Ipv6Addr) -> AddressKind {
    let s = ip.segments();
    if ip.is_unspecified() {
        return AddressKind::Unspecified;
    }
    if ip.is_loopback() {
        return AddressKind::Loopback;
    }
    if let Some(v4) = embedded_v4(ip) {
        return classify_v4(v4);
    }
    if ip == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254) {
        return AddressKind::LinkLocal; // AWS's metadata service over IPv6
    }
    match s[0] {
        0xff00..=0xffff => AddressKind::Multicast,
        0xfe80..=0xfebf => AddressKind::LinkLocal,
        // Unique-local (fc00::/7) and the deprecated site-local (fec0::/10).
        0xfc00..=0xfdff | 0xfec0..=0xfeff => AddressKind::Private,
        // Local-use NAT64 (RFC 8215) translates to whatever the operator set up inside.
        0x0064 if s[1] == 0xff9b && s[2] == 0x0001 => AddressKind::Private,
        // IETF protocol assignments (Teredo, ORCHID, benchmarking), documentation.
        0x2001 if s[1] < 0x0200 || s[1] == 0x0db8 => AddressKind::Reserved,
        0x3fff if s[1] < 0x1000 => AddressKind::Reserved,
        // Global unicast is 2000::/3; the rest is unassigned, discard-only or reserved.
        0x2000..=0x3fff => AddressKind::Public,
        _ => AddressKind::Reserved,
    }
}

/// The IPv4 address inside an IPv6 one that is only a way of writing it: IPv4-mapped
/// (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`), NAT64's well-known prefix
/// (`64:ff9b::/96`) and 6to4 (`2002:AABB:CCDD::/48`).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let last = || Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    if s[..6] == [0, 0, 0, 0, 0, 0] || s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return Some(last());
    }
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::new((s[1] >> 8) as u8, s[1] as u8, (s[2] >> 8) as u8, s[2] as u8));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(s: &str) -> AddressKind {
        classify(s.parse().unwrap())
    }

    #[test]
    fn public_addresses_are_public() {
        for ip in ["93.184.215.14", "8.8.8.8", "1.1.1.1", "2606:4700::1111", "2a00:1450:4001:80b::200e"] {
            assert_eq!(kind(ip), AddressKind::Public, "{ip}");
            assert!(may_connect(ip.parse().unwrap(), false), "{ip}");
        }
    }

    #[test]
    fn the_inside_is_internal() {
        for (ip, expected) in [
            ("127.0.0.1", AddressKind::Loopback),
            ("127.255.0.9", AddressKind::Loopback),
            ("::1", AddressKind::Loopback),
            ("10.0.0.1", AddressKind::Private),
            ("172.16.5.4", AddressKind::Private),
            ("172.31.255.255", AddressKind::Private),
            ("192.168.1.1", AddressKind::Private),
            ("100.64.0.1", AddressKind::Private),
            ("100.127.255.255", AddressKind::Private),
            ("198.18.0.1", AddressKind::Private),
            ("fc00::1", AddressKind::Private),
            ("fd12:3456::1", AddressKind::Private),
            ("fec0::1", AddressKind::Private),
            ("64:ff9b:1::a00:1", AddressKind::Private),
        ] {
            assert_eq!(kind(ip), expected, "{ip}");
            assert!(!may_connect(ip.parse().unwrap(), false), "{ip} refused by default");
            assert!(may_connect(ip.parse().unwrap(), true), "{ip} allowed for development");
        }
        // Just outside the ranges.
        for ip in ["172.32.0.1", "100.128.0.1", "11.0.0.1", "198.20.0.1", "192.169.0.1"] {
            assert_eq!(kind(ip), AddressKind::Public, "{ip}");
        }
    }

    #[test]
    fn metadata_link_local_and_the_unroutable_are_never_reached() {
        for (ip, expected) in [
            ("169.254.169.254", AddressKind::LinkLocal),
            ("169.254.0.1", AddressKind::LinkLocal),
            ("100.100.100.200", AddressKind::LinkLocal),
            ("192.0.0.192", AddressKind::LinkLocal),
            ("fe80::1", AddressKind::LinkLocal),
            ("fd00:ec2::254", AddressKind::LinkLocal),
            ("0.0.0.0", AddressKind::Unspecified),
            ("::", AddressKind::Unspecified),
            ("255.255.255.255", AddressKind::Multicast),
            ("224.0.0.1", AddressKind::Multicast),
            ("ff02::1", AddressKind::Multicast),
            ("0.1.2.3", AddressKind::Reserved),
            ("240.0.0.1", AddressKind::Reserved),
            ("192.0.2.1", AddressKind::Reserved),
            ("198.51.100.7", AddressKind::Reserved),
            ("203.0.113.9", AddressKind::Reserved),
            ("2001:db8::1", AddressKind::Reserved),
            ("2001::1", AddressKind::Reserved),
            ("100::1", AddressKind::Reserved),
        ] {
            assert_eq!(kind(ip), expected, "{ip}");
            assert!(!may_connect(ip.parse().unwrap(), true), "{ip} refused even for development");
        }
    }

    #[test]
    fn ipv6_forms_of_ipv4_addresses_are_sorted_by_the_ipv4_address() {
        for (ip, expected) in [
            ("::ffff:169.254.169.254", AddressKind::LinkLocal),
            ("::ffff:127.0.0.1", AddressKind::Loopback),
            ("::ffff:10.0.0.1", AddressKind::Private),
            ("::ffff:a9fe:a9fe", AddressKind::LinkLocal),
            ("::10.0.0.1", AddressKind::Private),
            ("64:ff9b::169.254.169.254", AddressKind::LinkLocal),
            ("64:ff9b::7f00:1", AddressKind::Loopback),
            ("2002:a9fe:a9fe::1", AddressKind::LinkLocal),
            ("2002:c0a8:0101::1", AddressKind::Private),
            ("::ffff:8.8.8.8", AddressKind::Public),
            ("64:ff9b::808:808", AddressKind::Public),
        ] {
            assert_eq!(kind(ip), expected, "{ip}");
        }
    }

    #[test]
    fn only_ip_literal_hosts_are_checked_in_a_url() {
        let check = |u: &str, allow| check_literal_host(&Url::parse(u).unwrap(), allow);
        assert!(check("https://idp.example/", false).is_ok(), "names are checked when resolved");
        assert!(check("https://93.184.215.14/", false).is_ok());
        for bad in [
            "https://169.254.169.254/latest/meta-data",
            "https://10.0.0.1/",
            "https://[fe80::1]/",
            "http://127.0.0.1:5432/",
            "http://0x7f.1/",
            "http://2130706433/",
            "https://[::ffff:10.0.0.1]/",
        ] {
            assert!(check(bad, false).is_err(), "{bad}");
        }
        assert!(check("http://127.0.0.1:5432/", true).is_ok());
        let e = check("https://10.0.0.1/", false).unwrap_err();
        assert_eq!(e.to_string(), "10.0.0.1 is a private network address");
        let e = check_typed_target("https://[::ffff:a9fe:a9fe]/bc", "The back-channel logout URI", true).unwrap_err();
        assert_eq!(
            e.0,
            "The back-channel logout URI points at ::ffff:169.254.169.254, a link-local or cloud metadata address: \
             the portal sends no requests there."
        );
        assert!(check_typed_target("https://rp.example/bc", "X", false).is_ok());
        assert!(check_typed_target("not a URL", "X", false).is_ok(), "the field's own check says why");
    }
}
