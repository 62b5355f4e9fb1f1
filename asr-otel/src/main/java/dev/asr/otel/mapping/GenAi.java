package dev.asr.otel.mapping;

import java.util.Set;

/**
 * The attribute names the mapping reads: OpenTelemetry's GenAI semantic conventions, the proposed
 * cost attributes, and this project's own {@code asr.*} outcome attributes (README, "Reporting
 * with OpenTelemetry", has the table).
 */
final class GenAi {

    static final String OPERATION = "gen_ai.operation.name";
    /** Operations that are a model call: INFERENCE spend. */
    static final Set<String> INFERENCE = Set.of("chat", "text_completion", "generate_content", "embeddings");
    static final String EXECUTE_TOOL = "execute_tool";
    static final String INVOKE_AGENT = "invoke_agent";

    static final String AGENT_ID = "gen_ai.agent.id";
    static final String AGENT_NAME = "gen_ai.agent.name";
    static final String CONVERSATION_ID = "gen_ai.conversation.id";
    static final String PROVIDER = "gen_ai.provider.name";
    /** The provider's name before the conventions renamed it. */
    static final String SYSTEM = "gen_ai.system";
    static final String RESPONSE_MODEL = "gen_ai.response.model";
    static final String REQUEST_MODEL = "gen_ai.request.model";
    static final String INPUT_TOKENS = "gen_ai.usage.input_tokens";
    static final String OUTPUT_TOKENS = "gen_ai.usage.output_tokens";
    static final String CACHE_READ_TOKENS = "gen_ai.usage.cache_read.input_tokens";
    static final String CACHE_WRITE_TOKENS = "gen_ai.usage.cache_creation.input_tokens";
    static final String COST = "gen_ai.usage.cost.amount";
    static final String COST_CURRENCY = "gen_ai.usage.cost.currency";
    static final String TOOL_NAME = "gen_ai.tool.name";

    static final String FLEET = "asr.fleet";
    static final String OUTCOME = "asr.outcome";
    static final String VALUE_MICROS = "asr.value_micros";
    static final String HUMAN_INTERVENTIONS = "asr.human_interventions";

    private GenAi() {}
}
