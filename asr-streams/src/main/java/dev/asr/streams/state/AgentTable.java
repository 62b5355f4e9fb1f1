package dev.asr.streams.state;

import dev.asr.streams.agent.Agent;
import dev.asr.streams.agent.AgentKey;
import dev.asr.streams.ledger.TaskState;
import dev.asr.streams.state.codec.AgentCodec;
import dev.asr.streams.state.codec.TaskCodec;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * One partition's agents, held in memory as live objects, and saved at every commit: each agent
 * and open task changed since the last commit is written once into its logged store ({@link
 * AsrStores#AGENTS}, {@link AsrStores#OPEN_TASKS}); a task opened and settled between two commits
 * never reaches either. Everything is loaded back from those stores when the processor starts.
 */
public final class AgentTable implements Agent.TaskChanges {

    private final KeyValueStore<Bytes, byte[]> agentsStore;
    private final KeyValueStore<Bytes, byte[]> tasksStore;
    private final Map<AgentKey, Agent> agents = new HashMap<>();
    private final Map<Agent, Boolean> changedAgents = new IdentityHashMap<>();
    private final List<AgentKey> removedAgents = new ArrayList<>();
    /** Changed tasks, with their agent. */
    private final Map<TaskState, Agent> changedTasks = new IdentityHashMap<>();
    /** Tasks opened since the last commit: the stores do not have them. */
    private final Map<TaskState, Boolean> newTasks = new IdentityHashMap<>();
    private final List<byte[]> removedTasks = new ArrayList<>();

    public AgentTable(KeyValueStore<Bytes, byte[]> agentsStore, KeyValueStore<Bytes, byte[]> tasksStore) {
        this.agentsStore = agentsStore;
        this.tasksStore = tasksStore;
    }

    /** Loads every saved agent (through {@code decode}) and its open tasks; forgets anything held before. */
    public void load(Function<KeyValue<AgentKey, byte[]>, Agent> decode) {
        agents.clear();
        changedAgents.clear();
        removedAgents.clear();
        changedTasks.clear();
        newTasks.clear();
        removedTasks.clear();
        try (KeyValueIterator<Bytes, byte[]> all = agentsStore.all()) {
            while (all.hasNext()) {
                KeyValue<Bytes, byte[]> entry = all.next();
                byte[] key = entry.key.get();
                AgentKey agentKey = AgentKey.fromBytes(key, 0, key.length);
                agents.put(agentKey, decode.apply(KeyValue.pair(agentKey, entry.value)).listenTo(this));
            }
        }
        try (KeyValueIterator<Bytes, byte[]> all = tasksStore.all()) {
            while (all.hasNext()) {
                KeyValue<Bytes, byte[]> entry = all.next();
                byte[] key = entry.key.get();
                Agent agent = agents.get(StoreKeys.agentOfTask(key));
                if (agent != null) {
                    agent.restore(TaskCodec.decode(StoreKeys.taskIdOf(key), entry.value));
                }
            }
        }
    }

    public Agent get(AgentKey key) {
        return agents.get(key);
    }

    public Collection<Agent> all() {
        return agents.values();
    }

    public int size() {
        return agents.size();
    }

    public Agent add(Agent agent) {
        agents.put(agent.key(), agent.listenTo(this));
        changed(agent);
        return agent;
    }

    /** The agent changed: saved at the next commit. */
    public void changed(Agent agent) {
        changedAgents.put(agent, Boolean.TRUE);
    }

    /** Forgets an agent that has nothing left (no open task, empty windows). */
    public void remove(Agent agent) {
        agents.remove(agent.key());
        changedAgents.remove(agent);
        removedAgents.add(agent.key());
    }

    @Override
    public void changed(Agent agent, TaskState task, boolean added) {
        changedTasks.put(task, agent);
        if (added) {
            newTasks.put(task, Boolean.TRUE);
        }
    }

    @Override
    public void removed(Agent agent, TaskState task) {
        changedTasks.remove(task);
        if (newTasks.remove(task) == null) {
            removedTasks.add(StoreKeys.task(agent.key(), task.taskId()));
        }
    }

    /** Writes everything changed since the last commit into the logged stores. */
    public void writeBack() {
        for (byte[] key : removedTasks) {
            tasksStore.delete(Bytes.wrap(key));
        }
        removedTasks.clear();
        changedTasks.forEach((task, agent) -> tasksStore.put(Bytes.wrap(StoreKeys.task(agent.key(), task.taskId())), TaskCodec.encode(task)));
        changedTasks.clear();
        newTasks.clear();
        for (AgentKey key : removedAgents) {
            if (!agents.containsKey(key)) {
                agentsStore.delete(Bytes.wrap(key.bytes()));
            }
        }
        removedAgents.clear();
        for (Agent agent : changedAgents.keySet()) {
            agentsStore.put(Bytes.wrap(agent.key().bytes()), AgentCodec.encode(agent));
        }
        changedAgents.clear();
    }
}
