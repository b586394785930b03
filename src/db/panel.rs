//! The Access Panel's one round trip: the session check (`sessions::find_with_user`) and the
//! user's tiles (`apps::tiles_for_user`) in one statement. The panel is the page people
//! open most, and a second query was a second round trip (on SQLite a second hop to the
//! connection's thread) on every view.

use chrono::{DateTime, Utc};

use super::apps::{GIVEN_TO_USER, Tile};
use super::sessions::SessionWithUser;
use super::{Conn, run};

/// A tile as the statement hands it over: one JSON array per tile, in `Tile`'s field order
/// (ids as text — SQLite's `hex()` gives '' for none —, `mfa_required` as 0 or 1, the same
/// on both databases).
type TileJson = (String, String, String, String, Option<String>, i64, Option<String>, Option<String>, Option<String>);

fn tile_of(t: TileJson) -> Result<Tile, sqlx::Error> {
    let (id, name, description, launch_url, icon_url, mfa_required, client_id, initiate_login_uri, icon) = t;
    let uuid = |s: &str| uuid::Uuid::parse_str(s).map_err(|e| sqlx::Error::Decode(Box::new(e)));
    let id = uuid(&id)?;
    let icon_image_id = icon.filter(|s| !s.is_empty()).map(|s| uuid(&s)).transpose()?;
    Ok(Tile {
        id,
        name,
        description,
        launch_url,
        icon_url,
        mfa_required: mfa_required != 0,
        client_id,
        initiate_login_uri,
        icon_image_id,
    })
}

/// The session whose token hashes to `hash`, its user, and the tiles of the apps given to
/// that user at `now` (the same as `apps::tiles_for_user`). None without such a session;
/// judging the session (expired, blocked) is the caller's.
///
/// One row, the tiles aggregated into a JSON array: a join would repeat the user's thirty
/// columns on every tile's row, and sort them too (measured: slower than two statements).
pub async fn session_and_tiles(
    c: Conn<'_>,
    hash: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<(SessionWithUser, Vec<Tile>)>> {
    // The user's id as an uncorrelated subquery: read once, as the bound id was.
    let given = GIVEN_TO_USER.replace("$1", "(SELECT user_id FROM sessions WHERE token_hash = $1)");
    let fields = |id: &str, icon: &str| {
        format!(
            "{id}, a.name, a.description, a.launch_url, a.icon_url, CASE WHEN a.mfa_required THEN 1 ELSE 0 END, \
             a.client_id, a.initiate_login_uri, {icon}"
        )
    };
    let tiles = match c {
        Conn::Sqlite(_) => format!(
            "(SELECT json_group_array(json_array({})) FROM \
             (SELECT a.* FROM apps a WHERE a.visible_in_panel AND {given} ORDER BY lower(a.name)) a)",
            fields("hex(a.id)", "hex(a.icon_image_id)")
        ),
        Conn::Postgres(_) => format!(
            "(SELECT COALESCE(json_agg(json_build_array({}) ORDER BY lower(a.name)), '[]')::text \
             FROM apps a WHERE a.visible_in_panel AND {given})",
            fields("a.id", "a.icon_image_id")
        ),
    };
    let sql = format!(
        "SELECT {}, {}, {tiles} AS tiles FROM sessions se JOIN users u ON u.id = se.user_id \
         WHERE se.token_hash = $1",
        super::sessions::check_columns("se"),
        super::users::columns_of("u"),
    );
    let found = run!(c, |e| {
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(hash).bind(now).fetch_optional(e).await?;
        match row {
            None => None,
            Some(row) => {
                use sqlx::Row;
                let found: SessionWithUser = sqlx::FromRow::from_row(&row)?;
                Some((found, row.try_get::<String, _>("tiles")?))
            }
        }
    });
    let Some((found, tiles)) = found else { return Ok(None) };
    let tiles: Vec<TileJson> = serde_json::from_str(&tiles).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    Ok(Some((found, tiles.into_iter().map(tile_of).collect::<Result<_, _>>()?)))
}
