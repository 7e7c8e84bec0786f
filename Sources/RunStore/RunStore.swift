import GRDB
import Foundation
import InferLabCore

/// One SQLite results file, opened in WAL mode, with the lab's schema migrated in: the one owner
/// of every table of a run (a bench run's runs, requests and events; an experiment's experiment,
/// trials, probe samples, engine steps, constraint outcomes and run events) and of all their SQL.
/// Rows go in and come out as typed `Codable` records; nothing else in InferLab writes SQL.
///
/// Every write goes through a transaction, so a file stays readable after any failure: a run
/// interrupted half-way keeps its committed requests and loses nothing else. A file written by
/// an earlier version opens through the migrations it lacks (`RunSchema`); one written by a later
/// version is refused with a message naming the version that wrote it.
public final class RunStore: Sendable {
    /// The file path.
    public let path: String
    /// The database pool (WAL); readers do not block the writer.
    let pool: DatabasePool

    /// Opens (creating when absent) the file at `path` and applies the migrations it lacks.
    public init(path: String) throws(RunStoreError) {
        self.path = path
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw RunStoreError(
                .open, "cannot create the directory \(directory.path); choose another --out", cause: error)
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw RunStoreError(.open, "cannot open the results file \(path)", cause: error)
        }
        let migrator = RunSchema.migrator()
        let known = Set(migrator.migrations)
        let applied: Set<String>
        do {
            applied = try pool.read { db in try migrator.appliedIdentifiers(db) }
        } catch {
            throw RunStoreError(.open, "\(path) is not an InferLab results file", cause: error)
        }
        if let unknown = applied.subtracting(known).sorted().first {
            let writer = (try? pool.read { db in try String.fetchOne(db, sql: Self.writerSQL) }) ?? nil
            throw RunStoreError(
                .newerSchema,
                "\(path) was written by inferlab \(writer ?? "of a later version") (its schema has \(unknown)); "
                    + "this is inferlab \(InferLabVersion.current), which reads schema \(RunSchema.version) and "
                    + "earlier: report it with the version that wrote it")
        }
        do {
            try migrator.migrate(pool)
            try pool.write { db in
                try db.execute(
                    sql: "INSERT OR REPLACE INTO store_info (key, value) VALUES ('tool_version', ?), ('schema', ?)",
                    arguments: [InferLabVersion.current, "\(RunSchema.version)"])
            }
        } catch {
            throw RunStoreError(.open, "cannot open the results file \(path)", cause: error)
        }
    }

    private static let writerSQL = "SELECT value FROM store_info WHERE key = 'tool_version'"

    /// Runs `body` in one write transaction; a thrown error rolls everything back.
    func write<T: Sendable>(_ body: @Sendable (Database) throws -> T) throws(RunStoreError) -> T {
        do {
            return try pool.write(body)
        } catch let error as RunStoreError {
            throw error
        } catch {
            throw RunStoreError(.write, "cannot write to \(path)", cause: error)
        }
    }

    /// Runs `body` on a read-only snapshot.
    func read<T: Sendable>(_ body: @Sendable (Database) throws -> T) throws(RunStoreError) -> T {
        do {
            return try pool.read(body)
        } catch let error as RunStoreError {
            throw error
        } catch {
            throw RunStoreError(.read, "cannot read \(path)", cause: error)
        }
    }
}
