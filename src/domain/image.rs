//! An image an admin uploads (an app's icon, the organization's logo). Its type is read
//! from its first bytes — never from the file's name or the browser's word — and only
//! PNG, JPEG and WebP are taken: an SVG is a document that can carry script and links, and
//! a text file renamed to `.png` is refused for what it is. The width and height come from
//! the format's header, so a huge picture is refused without decoding it.

use sha2::{Digest, Sha256};
use uuid::Uuid;

stored_states! {
    /// The formats taken, stored (and served) as their media type.
    pub enum ImageType {
        Png = "image/png",
        Jpeg = "image/jpeg",
        Webp = "image/webp",
    }
}

/// The most bytes an image may have: an icon or a logo needs far less.
pub const MAX_BYTES: usize = 256 * 1024;
/// The most pixels on either side.
pub const MAX_SIDE: u32 = 2048;

/// Where the portal serves an uploaded image (`web::routes`). A new upload is a new id, so
/// the bytes at an address never change.
pub fn path(id: Uuid) -> String {
    format!("/images/{id}")
}

/// An uploaded file that is a PNG, JPEG or WebP image of a sane size.
#[derive(Debug)]
pub struct Image {
    pub kind: ImageType,
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
    /// Hex SHA-256 of the bytes: the strong ETag it is served with.
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageRefused {
    #[error("Choose an image file to upload.")]
    Empty,
    #[error("The image is larger than {} KB. Save it smaller: an icon needs no more than 256 × 256 pixels.", MAX_BYTES / 1024)]
    TooLarge,
    #[error("SVG images are not taken: they can carry script. Upload a PNG, JPEG or WebP image.")]
    Svg,
    #[error("This file is not a PNG, JPEG or WebP image.")]
    NotAnImage,
    #[error("This {0} image could not be read: its header is damaged.")]
    Damaged(&'static str),
    #[error("The image is {0} × {1} pixels; at most {MAX_SIDE} × {MAX_SIDE} are taken.")]
    TooWide(u32, u32),
}

impl Image {
    pub fn parse(bytes: Vec<u8>) -> Result<Image, ImageRefused> {
        if bytes.is_empty() {
            return Err(ImageRefused::Empty);
        }
        if bytes.len() > MAX_BYTES {
            return Err(ImageRefused::TooLarge);
        }
        let (kind, width, height) = sniff(&bytes)?;
        if width == 0 || height == 0 {
            return Err(ImageRefused::Damaged(name_of(kind)));
        }
        if width > MAX_SIDE || height > MAX_SIDE {
            return Err(ImageRefused::TooWide(width, height));
        }
        let sha256 = hex::encode(Sha256::digest(&bytes));
        Ok(Image { kind, bytes, width, height, sha256 })
    }
}

fn name_of(kind: ImageType) -> &'static str {
    match kind {
        ImageType::Png => "PNG",
        ImageType::Jpeg => "JPEG",
        ImageType::Webp => "WebP",
    }
}

/// The format by its magic number, and the size from its header.
fn sniff(b: &[u8]) -> Result<(ImageType, u32, u32), ImageRefused> {
    if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        let (w, h) = png_size(b).ok_or(ImageRefused::Damaged("PNG"))?;
        return Ok((ImageType::Png, w, h));
    }
    if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        let (w, h) = jpeg_size(b).ok_or(ImageRefused::Damaged("JPEG"))?;
        return Ok((ImageType::Jpeg, w, h));
    }
    if b.len() >= 12 && &b[0..4] == b"RIFF" && &b[8..12] == b"WEBP" {
        let (w, h) = webp_size(b).ok_or(ImageRefused::Damaged("WebP"))?;
        return Ok((ImageType::Webp, w, h));
    }
    if looks_like_svg(b) {
        return Err(ImageRefused::Svg);
    }
    Err(ImageRefused::NotAnImage)
}

/// Markup whose start names an `<svg>` element (after a BOM, white space, an XML
/// declaration, comments or a doctype): said as SVG so the admin knows why.
fn looks_like_svg(b: &[u8]) -> bool {
    let head = &b[..b.len().min(4096)];
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let text = String::from_utf8_lossy(head).to_lowercase();
    text.trim_start().starts_with('<') && text.contains("<svg")
}

fn be16(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?)))
}

fn le16(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?)))
}

fn le24(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + 3)?;
    Some(u32::from(s[0]) | u32::from(s[1]) << 8 | u32::from(s[2]) << 16)
}

/// The IHDR chunk comes first (PNG §5.6): its width and height follow the chunk type.
fn png_size(b: &[u8]) -> Option<(u32, u32)> {
    if b.get(12..16)? != b"IHDR" {
        return None;
    }
    let w = u32::from_be_bytes(b.get(16..20)?.try_into().ok()?);
    let h = u32::from_be_bytes(b.get(20..24)?.try_into().ok()?);
    Some((w, h))
}

/// Walks the JPEG's marker segments to the first start-of-frame (SOF0–SOF15, not DHT, JPG
/// or DAC), which holds the height and then the width (ITU T.81 B.2.2).
fn jpeg_size(b: &[u8]) -> Option<(u32, u32)> {
    let mut i = 2;
    loop {
        if *b.get(i)? != 0xFF {
            return None;
        }
        let marker = *b.get(i + 1)?;
        match marker {
            // Fill bytes before a marker.
            0xFF => i += 1,
            // Markers without a length: TEM, RST0–7, a stray SOI.
            0x01 | 0xD0..=0xD8 => i += 2,
            // The scan or the end came before any frame header.
            0xD9 | 0xDA => return None,
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                return Some((be16(b, i + 7)?, be16(b, i + 5)?));
            }
            _ => {
                let len = be16(b, i + 2)? as usize;
                if len < 2 {
                    return None;
                }
                i += 2 + len;
            }
        }
    }
}

/// The first chunk says which WebP it is: lossy (`VP8 `, the key frame's header), lossless
/// (`VP8L`, 14 bits each) or extended (`VP8X`, the canvas size in 24 bits each).
fn webp_size(b: &[u8]) -> Option<(u32, u32)> {
    match b.get(12..16)? {
        b"VP8 " => {
            if b.get(23..26)? != [0x9D, 0x01, 0x2A] {
                return None;
            }
            Some((le16(b, 26)? & 0x3FFF, le16(b, 28)? & 0x3FFF))
        }
        b"VP8L" => {
            if *b.get(20)? != 0x2F {
                return None;
            }
            let bits = u32::from_le_bytes(b.get(21..25)?.try_into().ok()?);
            Some(((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1))
        }
        b"VP8X" => Some((le24(b, 24)? + 1, le24(b, 27)? + 1)),
        _ => None,
    }
}

/// Header-valid images for tests (the browser suite needs real pixels; the server reads
/// only the headers).
#[cfg(test)]
pub(crate) mod samples {
    pub fn png(w: u32, h: u32) -> Vec<u8> {
        let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        b.extend_from_slice(&w.to_be_bytes());
        b.extend_from_slice(&h.to_be_bytes());
        b.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
        b
    }

    pub fn jpeg(w: u16, h: u16) -> Vec<u8> {
        let mut b = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
        b.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
        b.extend_from_slice(&[0xFF, 0xFF, 0xC0, 0x00, 0x11, 0x08]);
        b.extend_from_slice(&h.to_be_bytes());
        b.extend_from_slice(&w.to_be_bytes());
        b.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, 0xFF, 0xD9]);
        b
    }

    pub fn webp_lossless(w: u32, h: u32) -> Vec<u8> {
        let bits = (w - 1) | (h - 1) << 14;
        let mut b = b"RIFF\x1a\0\0\0WEBPVP8L\x0d\0\0\0\x2f".to_vec();
        b.extend_from_slice(&bits.to_le_bytes());
        b.extend_from_slice(&[0; 8]);
        b
    }
}

#[cfg(test)]
mod tests {
    use super::samples::*;
    use super::*;

    #[test]
    fn the_type_and_size_come_from_the_header() {
        let png = Image::parse(png(48, 32)).unwrap();
        assert_eq!((png.kind, png.width, png.height), (ImageType::Png, 48, 32));
        assert_eq!(png.sha256.len(), 64);
        let jpeg = Image::parse(jpeg(640, 480)).unwrap();
        assert_eq!((jpeg.kind, jpeg.width, jpeg.height), (ImageType::Jpeg, 640, 480));
        let webp = Image::parse(webp_lossless(300, 200)).unwrap();
        assert_eq!((webp.kind, webp.width, webp.height), (ImageType::Webp, 300, 200));
        let mut lossy = b"RIFF\0\0\0\0WEBPVP8 \0\0\0\0\x30\x01\0\x9d\x01\x2a".to_vec();
        lossy.extend_from_slice(&[0x40, 0x00, 0x20, 0x40]);
        assert_eq!(webp_size(&lossy), Some((64, 32)));
        let mut extended = b"RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0\x10\0\0\0".to_vec();
        extended.extend_from_slice(&[0x7F, 0x00, 0x00, 0x3F, 0x00, 0x00]);
        assert_eq!(webp_size(&extended), Some((128, 64)));
    }

    #[test]
    fn svg_and_renamed_text_are_refused_for_what_they_are() {
        for svg in [
            &b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>"[..],
            b"\xEF\xBB\xBF  <?xml version=\"1.0\"?>\n<!-- logo -->\n<SVG></SVG>",
            b"<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" \"\"><svg/>",
        ] {
            assert_eq!(Image::parse(svg.to_vec()).unwrap_err(), ImageRefused::Svg);
        }
        assert_eq!(Image::parse(b"just some notes\n".to_vec()).unwrap_err(), ImageRefused::NotAnImage);
        assert_eq!(Image::parse(b"GIF89a\x01\0\x01\0".to_vec()).unwrap_err(), ImageRefused::NotAnImage);
        assert_eq!(Image::parse(b"<html><body>hi</body></html>".to_vec()).unwrap_err(), ImageRefused::NotAnImage);
        assert_eq!(Image::parse(Vec::new()).unwrap_err(), ImageRefused::Empty);
    }

    #[test]
    fn damaged_huge_and_heavy_images_are_refused() {
        assert_eq!(Image::parse(png(48, 48)[..20].to_vec()).unwrap_err(), ImageRefused::Damaged("PNG"));
        assert_eq!(Image::parse(png(0, 48)).unwrap_err(), ImageRefused::Damaged("PNG"));
        assert_eq!(Image::parse(vec![0xFF, 0xD8, 0xFF, 0xDA, 0, 2]).unwrap_err(), ImageRefused::Damaged("JPEG"));
        assert_eq!(Image::parse(jpeg(4096, 10)).unwrap_err(), ImageRefused::TooWide(4096, 10));
        assert_eq!(Image::parse(png(2048, 2048)).unwrap().width, 2048);
        let mut heavy = png(48, 48);
        heavy.resize(MAX_BYTES + 1, 0);
        assert_eq!(Image::parse(heavy).unwrap_err(), ImageRefused::TooLarge);
        // A JPEG segment whose length points past the end.
        assert!(jpeg_size(&[0xFF, 0xD8, 0xFF, 0xE0, 0xFF, 0xFF]).is_none());
    }

    #[test]
    fn the_stored_names_are_media_types() {
        assert_eq!(ImageType::parse("image/webp"), Some(ImageType::Webp));
        assert_eq!(ImageType::parse("image/svg+xml"), None);
        assert_eq!(path(Uuid::nil()), "/images/00000000-0000-0000-0000-000000000000");
    }
}
