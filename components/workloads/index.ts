export {
    AnomalyDetector,
    DETECTOR_IMAGE,
    DETECTOR_TAILNET_NODE_PORT,
    detectorNodePortService,
    detectorFootprint,
    DETECTOR_NAME,
    DETECTOR_NAMESPACE,
    DETECTOR_SIZES,
    detectorInferenceService,
    detectorPodMonitor,
    kserveS3Annotations,
    predictorUrl,
} from "./detector";
export { DEFAULT_IMAGE_REPOSITORY, WORKLOAD_IMAGE_TAG, workloadImage } from "./images";
export type { AnomalyDetectorArgs, InferenceServiceArgs } from "./detector";
export {
    MCP_NAMESPACE,
    mcpToolFootprint,
    MCP_PORT,
    MCP_SERVICE,
    MCP_SIZES,
    MCP_TOOL_IMAGE,
    McpTool,
    mcpAllowedHosts,
    mcpPodTemplate,
    mcpUrl,
} from "./mcp-tool";
export type { McpToolArgs } from "./mcp-tool";
export { AGENT_NAME, AiopsAgent, MCP_SERVER_NAME, MCP_TOOL_NAMES, SRE_SYSTEM_MESSAGE, agentObjects } from "./agent";
export type { AiopsAgentArgs } from "./agent";
export { AiopsAlerts, DETECTOR_JOB, MCP_JOB, aiopsRuleGroups, downRule, rulesFileYaml } from "./alerts";
export type { AiopsAlertsArgs, AlertRule, RuleGroup } from "./alerts";
export {
    BOOTSTRAP_DEADLINE_SECONDS,
    DetectorTraining,
    KFP_STEP_ACCOUNT,
    MODEL_STORE_PREFIX,
    SERVING_MODEL_PATH,
    TRAINER_NODE_OPTIONS,
    TRAINER_S3_SECRET,
    TRAINER_SERVICE_ACCOUNT,
    TRAINER_SIZE,
    TRAINING_NAMESPACE,
    bootstrapJob,
    historyWaitSeconds,
    promotionRbac,
    registrationJob,
    trainerEnv,
    trainingCronJobSpec,
    trainingHint,
    trainingSettings,
    validateDetectorTrainingArgs,
    validateTrainingSchedule,
} from "./training";
export type { DetectorTrainingArgs, TrainingOrchestrator, TrainingSchedule } from "./training";
export { SCORE_INTERVAL_SECONDS, SCORER_NAME, SCORER_PORT, SCORER_SIZES, Scorer, scorerFootprint, scorerPodTemplate } from "./scorer";
export type { ScorerArgs } from "./scorer";
export {
    ANALYST_NAME,
    ANALYST_PORT,
    ANALYST_SIZES,
    AlertAnalyst,
    analystFootprint,
    analystPodTemplate,
    analystRbacRules,
    analystWebhookUrl,
    kagentA2aUrl,
} from "./analyst";
export type { AlertAnalystArgs } from "./analyst";
export { AiopsDashboard, DASHBOARD_UID, GRAFANA_DASHBOARD_LABEL, aiopsDashboard } from "./dashboard";
export type { AiopsDashboardArgs, Dashboard } from "./dashboard";
export {
    EDGE_METRICS_NAMESPACE,
    EDGE_PROMETHEUS_IMAGE,
    EdgeMetricsAgent,
    GATE_PORT,
    GATE_TAILNET_NODE_PORT,
    NODE_EXPORTER_CHART,
    RemoteWriteGate,
    edgeAgentConfig,
    edgeAgentFootprint,
    gateFootprint,
} from "./edge-metrics";
export type { EdgeMetricsAgentArgs, RemoteWriteGateArgs } from "./edge-metrics";
export {
    MODEL_ROLLER_NAME,
    MODEL_ROLLER_SCHEDULE,
    MODEL_ROLLER_SIZE,
    ModelRoller,
    modelRollerCronJobSpec,
    modelRollerEnv,
    modelRollerRbac,
    validateModelRollerArgs,
} from "./model-roller";
export type { ModelRollerArgs } from "./model-roller";
