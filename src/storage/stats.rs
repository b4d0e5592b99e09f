//! Counts for the staff dashboard: by day (Asia/Shanghai), status, article and UTM source.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

#[derive(Debug, sqlx::FromRow)]
pub struct DayCount {
    pub day: String,
    pub count: i64,
}

#[derive(Debug, sqlx::FromRow)]
pub struct StatusCount {
    pub status: crate::domain::status::Status,
    pub count: i64,
}

#[derive(Debug, sqlx::FromRow)]
pub struct ArticleCount {
    pub article_id: Option<Uuid>,
    pub url: Option<String>,
    pub title: Option<String>,
    pub count: i64,
}

#[derive(Debug, sqlx::FromRow)]
pub struct SourceCount {
    pub utm_source: Option<String>,
    pub count: i64,
}

#[derive(Debug)]
pub struct Stats {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Inquiries received in the range, spam excluded.
    pub total: i64,
    pub by_day: Vec<DayCount>,
    /// Every status, spam included.
    pub by_status: Vec<StatusCount>,
    pub by_article: Vec<ArticleCount>,
    pub by_utm_source: Vec<SourceCount>,
}

const TOP: i64 = 50;

pub async fn stats(
    pool: &PgPool,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Stats, sqlx::Error> {
    let range = "i.received_at >= $1 AND i.received_at < $2";
    let by_day: Vec<DayCount> = sqlx::query_as(&format!(
        "SELECT to_char((i.received_at AT TIME ZONE 'Asia/Shanghai')::date, 'YYYY-MM-DD') AS day,
                count(*) AS count
           FROM inquiries i WHERE {range} AND i.status <> 'spam' GROUP BY 1 ORDER BY 1"
    ))
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await?;
    let by_status = sqlx::query_as(&format!(
        "SELECT i.status, count(*) AS count FROM inquiries i WHERE {range} GROUP BY 1 ORDER BY 2 DESC, 1"
    ))
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await?;
    let by_article = sqlx::query_as(&format!(
        "SELECT i.article_id, a.url, a.title, count(*) AS count
           FROM inquiries i LEFT JOIN articles a ON a.id = i.article_id
          WHERE {range} AND i.status <> 'spam'
          GROUP BY 1, 2, 3 ORDER BY 4 DESC, 2 LIMIT {TOP}"
    ))
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await?;
    let by_utm_source = sqlx::query_as(&format!(
        "SELECT i.utm_source, count(*) AS count FROM inquiries i
          WHERE {range} AND i.status <> 'spam' GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {TOP}"
    ))
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await?;
    let total = by_day.iter().map(|d| d.count).sum();
    Ok(Stats {
        from,
        to,
        total,
        by_day,
        by_status,
        by_article,
        by_utm_source,
    })
}
