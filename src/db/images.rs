//! Uploaded images (apps' icons, the logo): the bytes and what serving them needs. A row is
//! never changed: a new upload is a new row.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Conn, run};
use crate::domain::image::{Image, ImageType};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredImage {
    pub id: Uuid,
    pub content_type: ImageType,
    pub bytes: Vec<u8>,
    pub sha256: String,
    pub created_at: DateTime<Utc>,
}

pub async fn insert(c: Conn<'_>, image: &Image, now: DateTime<Utc>) -> sqlx::Result<Uuid> {
    let id = Uuid::new_v4();
    run!(c, |e| sqlx::query(
        "INSERT INTO images (id, content_type, bytes, sha256, width, height, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)"
    )
    .bind(id)
    .bind(image.kind)
    .bind(&image.bytes)
    .bind(&image.sha256)
    // At most `MAX_SIDE`: they fit.
    .bind(image.width as i32)
    .bind(image.height as i32)
    .bind(now)
    .execute(e)
    .await
    .map(|_| ()))?;
    Ok(id)
}

pub async fn find(c: Conn<'_>, id: Uuid) -> sqlx::Result<Option<StoredImage>> {
    run!(c, |e| sqlx::query_as("SELECT id, content_type, bytes, sha256, created_at FROM images WHERE id = $1")
        .bind(id)
        .fetch_optional(e)
        .await)
}

pub async fn delete(c: Conn<'_>, id: Uuid) -> sqlx::Result<bool> {
    run!(c, |e| sqlx::query("DELETE FROM images WHERE id = $1")
        .bind(id)
        .execute(e)
        .await
        .map(|r| r.rows_affected() == 1))
}
