//! Access tokens fetched once, reused until shortly before they expire, and refreshed once when
//! the server refuses them.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use secrecy::SecretString;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::error::HttpError;

/// A token as a token endpoint returned it.
#[derive(Clone)]
pub struct FetchedToken {
    /// The bearer token.
    pub token: SecretString,
    /// Its lifetime, when the endpoint said (`expires_in`).
    pub expires_in: Option<Duration>,
}

impl fmt::Debug for FetchedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FetchedToken")
            .field("token", &crate::redact::REDACTED)
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

/// Where tokens come from: a token endpoint (OAuth refresh-token or client-credentials grant),
/// or a fixed token.
#[async_trait]
pub trait TokenSource: fmt::Debug + Send + Sync {
    /// Gets a new token.
    async fn fetch(&self) -> Result<FetchedToken, HttpError>;

    /// Whether fetching again can give a different token. A fixed token cannot, so a 401 is
    /// final at once.
    fn can_refresh(&self) -> bool {
        true
    }
}

/// A fixed token (a personal access token, or a token obtained elsewhere).
pub struct StaticToken(SecretString);

impl StaticToken {
    /// Wraps `token`.
    pub fn new(token: SecretString) -> Self {
        Self(token)
    }
}

impl fmt::Debug for StaticToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("StaticToken")
            .field(&crate::redact::REDACTED)
            .finish()
    }
}

#[async_trait]
impl TokenSource for StaticToken {
    async fn fetch(&self) -> Result<FetchedToken, HttpError> {
        Ok(FetchedToken {
            token: self.0.clone(),
            expires_in: None,
        })
    }

    fn can_refresh(&self) -> bool {
        false
    }
}

struct Cached {
    token: SecretString,
    refresh_at: Option<Instant>,
    generation: u64,
}

/// A token in use, with the generation that lets a 401 invalidate exactly this token and not
/// one another task has fetched meanwhile.
#[derive(Clone)]
pub struct CurrentToken {
    pub(crate) token: SecretString,
    pub(crate) generation: u64,
}

impl fmt::Debug for CurrentToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CurrentToken")
            .field("token", &crate::redact::REDACTED)
            .field("generation", &self.generation)
            .finish()
    }
}

/// Caches the token of one [`TokenSource`]. Concurrent callers share one fetch; the token is
/// renewed ahead of expiry (five minutes, or half its life when that is shorter) so no request
/// is sent with a token about to lapse.
pub struct TokenCache {
    source: Arc<dyn TokenSource>,
    state: Mutex<(Option<Cached>, u64)>,
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

const MAX_MARGIN: Duration = Duration::from_secs(300);

impl TokenCache {
    /// A cache over `source`; nothing is fetched until first use.
    pub fn new(source: Arc<dyn TokenSource>) -> Self {
        Self {
            source,
            state: Mutex::new((None, 0)),
        }
    }

    /// Whether the source can give a new token after a refusal.
    pub fn can_refresh(&self) -> bool {
        self.source.can_refresh()
    }

    /// The current token, fetching one when there is none or it is due for renewal.
    pub async fn current(&self) -> Result<CurrentToken, HttpError> {
        let mut state = self.state.lock().await;
        if let Some(c) = &state.0
            && c.refresh_at.is_none_or(|at| Instant::now() < at)
        {
            return Ok(CurrentToken {
                token: c.token.clone(),
                generation: c.generation,
            });
        }
        let fetched = self.source.fetch().await?;
        state.1 += 1;
        let generation = state.1;
        let refresh_at = fetched.expires_in.map(|life| {
            let margin = MAX_MARGIN.min(life / 2);
            Instant::now() + (life - margin)
        });
        tracing::debug!(
            generation,
            expires_in_s = fetched.expires_in.map(|d| d.as_secs()),
            "fetched an access token"
        );
        state.0 = Some(Cached {
            token: fetched.token.clone(),
            refresh_at,
            generation,
        });
        Ok(CurrentToken {
            token: fetched.token,
            generation,
        })
    }

    /// Forgets `token` after the server refused it, so the next [`current`](Self::current)
    /// fetches a new one. A token already replaced by another task is left alone.
    pub async fn invalidate(&self, token: &CurrentToken) {
        let mut state = self.state.lock().await;
        if state
            .0
            .as_ref()
            .is_some_and(|c| c.generation == token.generation)
        {
            state.0 = None;
        }
    }
}
