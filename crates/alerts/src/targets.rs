//! The configured targets as the policy sees them: a name to say and whether the network stands
//! between this machine and the target.

use monitor::config::{is_loopback_host, Target};

/// What the policy needs to know of a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetMeta {
    pub id: String,
    pub name: String,
    /// Reached over the network: when every cloud target fails to connect at once, the likely
    /// cause is this machine being offline.
    pub cloud: bool,
}

impl From<&Target> for TargetMeta {
    fn from(t: &Target) -> Self {
        TargetMeta {
            id: t.id.clone(),
            name: t.name.clone(),
            cloud: !is_loopback_host(&t.base_url),
        }
    }
}

/// The configured targets, in the order alerts list them.
#[derive(Debug, Default)]
pub(crate) struct Roster(Vec<TargetMeta>);

impl Roster {
    pub(crate) fn new(targets: Vec<TargetMeta>) -> Roster {
        Roster(targets)
    }

    pub(crate) fn contains(&self, id: &str) -> bool {
        self.meta(id).is_some()
    }

    /// Position in the configured order; targets the policy was not told about come last.
    pub(crate) fn order(&self, id: &str) -> (usize, String) {
        let pos = self.0.iter().position(|t| t.id == id);
        (pos.unwrap_or(usize::MAX), id.to_string())
    }

    /// The display name; the id for a target the policy was not told about.
    pub(crate) fn name(&self, id: &str) -> String {
        self.meta(id)
            .map_or_else(|| id.to_string(), |m| m.name.clone())
    }

    pub(crate) fn is_cloud(&self, id: &str) -> bool {
        self.meta(id).is_some_and(|m| m.cloud)
    }

    /// Every configured cloud target, enabled or not.
    pub(crate) fn cloud_ids(&self) -> Vec<String> {
        self.0
            .iter()
            .filter(|t| t.cloud)
            .map(|t| t.id.clone())
            .collect()
    }

    fn meta(&self, id: &str) -> Option<&TargetMeta> {
        self.0.iter().find(|t| t.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use monitor::config::Config;

    #[test]
    fn cloud_means_not_on_this_machine() {
        let config = Config::parse(
            "[[targets]]\nid = \"local\"\nkind = \"ollama\"\nbase_url = \"http://127.0.0.1:11434\"\n\
             [[targets]]\nid = \"openai\"\nkind = \"openai\"\n",
            "test",
        )
        .unwrap();
        let metas: Vec<TargetMeta> = config.targets.iter().map(TargetMeta::from).collect();
        assert_eq!(
            metas
                .iter()
                .map(|m| (m.id.as_str(), m.cloud))
                .collect::<Vec<_>>(),
            [("local", false), ("openai", true)]
        );
        for (url, loopback) in [
            ("http://localhost:1234/v1", true),
            ("http://LOCALHOST:1234", true),
            ("http://127.0.0.5:8080", true),
            ("http://[::1]:8080", true),
            ("http://192.168.1.20:11434", false),
            ("https://api.openai.com/v1", false),
        ] {
            let parsed = url.parse().unwrap();
            assert_eq!(is_loopback_host(&parsed), loopback, "{url}");
        }
    }
}
