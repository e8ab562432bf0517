//! API keys: in the OS keyring (Secret Service on Linux, Keychain, Credential Manager), with the
//! target's environment variable as the fallback. Keys are read once into memory when the engine
//! starts, because a probe must not wait on a D-Bus round trip, and never written anywhere else.

use controller::CoreError;
use monitor::config::Target;
use monitor::probe::{EnvKeys, KeySource};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the OS keyring refused: {0}")]
    Keyring(String),
    #[error("an API key cannot be empty")]
    Empty,
}

pub struct KeyringKeys {
    /// Keyring entries of one profile: a throwaway `--data-dir` profile gets its own service
    /// name, so its keys never mix with the real ones.
    service: String,
    cache: RwLock<HashMap<String, String>>,
}

impl KeyringKeys {
    pub fn new(service: String) -> KeyringKeys {
        KeyringKeys {
            service,
            cache: RwLock::new(HashMap::new()),
        }
    }

    /// Reads the keyring entries of these targets into memory. Blocking (D-Bus): call it off
    /// the async runtime.
    pub fn load(&self, targets: &[Target]) {
        let mut found = HashMap::new();
        // A target whose id looks like a channel's entry would read that channel's URL as its
        // key and send it to its own server: such an id gets no key from the keyring.
        let keyed = targets
            .iter()
            .filter(|t| t.takes_key() && !is_channel_secret(&t.id));
        for target in keyed {
            let read = self
                .entry(&target.id)
                .and_then(|entry| match entry.get_password() {
                    Ok(key) => Ok(Some(key)),
                    Err(keyring::Error::NoEntry) => Ok(None),
                    Err(err) => Err(KeyError::Keyring(err.to_string())),
                });
            match read {
                Ok(Some(key)) => {
                    found.insert(target.id.clone(), key);
                }
                Ok(None) => {}
                Err(err) => {
                    tracing::warn!("API key of {} not read from the keyring: {err}", target.id)
                }
            }
        }
        if let Ok(mut cache) = self.cache.write() {
            *cache = found;
        }
    }

    /// Stores a key in the keyring (blocking). The key is trimmed: a pasted newline would make
    /// every request fail with a confusing auth error.
    pub fn set(&self, target_id: &str, key: &str) -> Result<(), KeyError> {
        let key = key.trim();
        if key.is_empty() {
            return Err(KeyError::Empty);
        }
        self.entry(target_id)?
            .set_password(key)
            .map_err(|e| KeyError::Keyring(e.to_string()))?;
        // Probes read the cache: only API keys go there, never a channel's URL.
        if is_channel_secret(target_id) {
            return Ok(());
        }
        if let Ok(mut cache) = self.cache.write() {
            cache.insert(target_id.to_string(), key.to_string());
        }
        Ok(())
    }

    pub fn delete(&self, target_id: &str) -> Result<(), KeyError> {
        match self.entry(target_id)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => {}
            Err(e) => return Err(KeyError::Keyring(e.to_string())),
        }
        if let Ok(mut cache) = self.cache.write() {
            cache.remove(target_id);
        }
        Ok(())
    }

    pub fn has_stored(&self, target_id: &str) -> bool {
        self.cache
            .read()
            .map(|c| c.contains_key(target_id))
            .unwrap_or(false)
    }

    /// Reads any entry of this profile's service by name (an alert channel's URL), blocking.
    /// A missing entry is `None`; so is one the keyring refuses, logged without its value.
    pub fn secret(&self, name: &str) -> Option<String> {
        let read = self
            .entry(name)
            .and_then(|entry| match entry.get_password() {
                Ok(value) => Ok(Some(value)),
                Err(keyring::Error::NoEntry) => Ok(None),
                Err(err) => Err(KeyError::Keyring(err.to_string())),
            });
        match read {
            Ok(value) => value,
            Err(err) => {
                tracing::warn!("{name} not read from the keyring: {err}");
                None
            }
        }
    }

    fn entry(&self, target_id: &str) -> Result<keyring::Entry, KeyError> {
        keyring::Entry::new(&self.service, target_id).map_err(|e| KeyError::Keyring(e.to_string()))
    }
}

/// Whether a keyring entry's name is an alert channel's ([`controller::channel_secret_name`]).
fn is_channel_secret(name: &str) -> bool {
    name.starts_with(&controller::channel_secret_name(""))
}

impl KeySource for KeyringKeys {
    fn key_for(&self, target: &Target) -> Option<String> {
        let cached = self
            .cache
            .read()
            .ok()
            .and_then(|c| c.get(&target.id).cloned());
        cached.or_else(|| EnvKeys.key_for(target))
    }
}

/// The keyring as the core sees it.
pub struct Keyring(pub Arc<KeyringKeys>);

impl From<KeyError> for CoreError {
    fn from(err: KeyError) -> CoreError {
        match err {
            KeyError::Empty => CoreError::EmptyKey,
            KeyError::Keyring(message) => CoreError::Keyring(message),
        }
    }
}

impl controller::KeyStore for Keyring {
    fn source(&self) -> Arc<dyn KeySource> {
        self.0.clone()
    }

    fn load(&self, targets: &[Target]) {
        self.0.load(targets);
    }

    fn set(&self, target: &str, key: &str) -> Result<(), CoreError> {
        Ok(self.0.set(target, key)?)
    }

    fn delete(&self, target: &str) -> Result<(), CoreError> {
        Ok(self.0.delete(target)?)
    }

    fn has_stored(&self, target: &str) -> bool {
        self.0.has_stored(target)
    }

    fn secret(&self, name: &str) -> Option<String> {
        self.0.secret(name)
    }
}
