//! The link's counters as Prometheus metrics, read at each scrape (nothing is counted twice).

use crate::Counters;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use std::sync::Arc;

/// A Prometheus collector over the link's [`Counters`] (`iot_*` under the registry's prefix).
#[derive(Debug, Clone)]
pub struct IotMetrics(Arc<Counters>);

impl IotMetrics {
    pub fn new(counters: Arc<Counters>) -> Self {
        IotMetrics(counters)
    }
}

fn counter(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    value: u64,
) -> Result<(), std::fmt::Error> {
    let metric = ConstCounter::new(value);
    metric.encode(encoder.encode_descriptor(name, help, None, metric.metric_type())?)
}

impl Collector for IotMetrics {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let c = &self.0;
        let get = Counters::get;
        counter(
            &mut encoder,
            "iot_messages_received",
            "MQTT messages received on the subscribed topics",
            get(&c.received),
        )?;
        counter(
            &mut encoder,
            "iot_messages_applied",
            "MQTT messages applied to the database",
            get(&c.ingested),
        )?;
        {
            let mut rejected = encoder.encode_descriptor(
                "iot_messages_rejected",
                "MQTT messages refused, by reason; they changed nothing",
                None,
                MetricType::Counter,
            )?;
            for (reason, value) in [
                ("malformed", get(&c.malformed)),
                ("unknown_device", get(&c.unknown_devices)),
                ("unknown_topic", get(&c.unknown_topics)),
            ] {
                ConstCounter::new(value).encode(rejected.encode_family(&[("reason", reason)])?)?;
            }
        }
        counter(
            &mut encoder,
            "iot_messages_failed",
            "MQTT messages not applied because of a database error",
            get(&c.errors),
        )?;
        counter(
            &mut encoder,
            "iot_ingest_batches",
            "Batches of waiting messages the ingest task applied (one transaction each)",
            get(&c.batches),
        )?;
        let depth = ConstGauge::new(get(&c.queued) as i64);
        depth.encode(encoder.encode_descriptor(
            "iot_queue_depth",
            "MQTT messages received and waiting for the ingest task",
            None,
            depth.metric_type(),
        )?)?;
        c.latency.encode(encoder.encode_descriptor(
            "iot_ingest_latency_seconds",
            "From a message's reception to the end of its transaction",
            None,
            c.latency.metric_type(),
        )?)?;
        counter(
            &mut encoder,
            "iot_commands_published",
            "Commands published to vehicles",
            get(&c.commands_published),
        )?;
        counter(
            &mut encoder,
            "iot_commands_delivered",
            "Commands acknowledged ok by their vehicle",
            get(&c.commands_delivered),
        )?;
        counter(
            &mut encoder,
            "iot_commands_failed_attempts",
            "Command attempts that failed (ack error or no ack in time)",
            get(&c.commands_failed),
        )?;
        counter(
            &mut encoder,
            "iot_connections",
            "Connections to the broker established",
            get(&c.connections),
        )?;
        counter(
            &mut encoder,
            "iot_disconnections",
            "Connection failures or losses",
            get(&c.disconnections),
        )
    }
}
