//! Where files go (pictures, attachments, generated documents): a local folder by default,
//! S3-compatible storage by configuration, both behind `object_store`.

use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;

/// Which object storage to use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StorageConfig {
    /// Files under a local folder.
    Local { path: PathBuf },
    /// An S3-compatible bucket.
    S3 {
        bucket: String,
        region: Option<String>,
        /// For S3-compatible services other than AWS (MinIO, Garage, ...).
        endpoint: Option<String>,
        access_key_id: Option<String>,
        secret_access_key: Option<String>,
        #[serde(default)]
        allow_http: bool,
    },
}

/// Open the configured storage, creating the local folder if needed.
pub fn open(config: &StorageConfig) -> anyhow::Result<Arc<dyn ObjectStore>> {
    Ok(match config {
        StorageConfig::Local { path } => {
            std::fs::create_dir_all(path)?;
            Arc::new(LocalFileSystem::new_with_prefix(path)?)
        }
        StorageConfig::S3 {
            bucket,
            region,
            endpoint,
            access_key_id,
            secret_access_key,
            allow_http,
        } => {
            let mut builder = AmazonS3Builder::from_env()
                .with_bucket_name(bucket)
                .with_allow_http(*allow_http);
            if let Some(region) = region {
                builder = builder.with_region(region);
            }
            if let Some(endpoint) = endpoint {
                builder = builder.with_endpoint(endpoint);
            }
            if let Some(key) = access_key_id {
                builder = builder.with_access_key_id(key);
            }
            if let Some(secret) = secret_access_key {
                builder = builder.with_secret_access_key(secret);
            }
            Arc::new(builder.build()?)
        }
    })
}
