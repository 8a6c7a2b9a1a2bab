export const GCP_INSTANCE_TYPES = ["gcp:compute/instance:Instance", "gcp:compute/instanceTemplate:InstanceTemplate"];
