public import GRDB
import Foundation

/// One SQLite results file, opened in WAL mode, with the lab's schema migrated in.
///
/// Every write goes through a transaction, so a file stays readable after any failure: a run
/// interrupted half-way keeps its committed requests and loses nothing else. Later modules
/// add their own tables by extending ``makeMigrator()`` with more named migrations:
///
/// ```swift
/// var migrator = ResultStore.makeMigrator()
/// migrator.registerMigration("v2-trials") { db in try db.create(table: "trials") { ... } }
/// let store = try ResultStore(path: path, migrator: migrator)
/// ```
public final class ResultStore: Sendable {
    /// The file path.
    public let path: String
    /// The database pool (WAL); readers do not block the writer.
    public let pool: DatabasePool

    /// Opens (creating when absent) the file at `path` and applies every migration of `migrator`.
    /// The default migrator is ``makeMigrator()``.
    public init(path: String, migrator: DatabaseMigrator = ResultStore.makeMigrator()) throws(ResultStoreError) {
        self.path = path
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw ResultStoreError(
                .open, "cannot create the directory \(directory.path); choose another --out", cause: error)
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try migrator.migrate(pool)
        } catch {
            throw ResultStoreError(.open, "cannot open the results file \(path): \(error)", cause: error)
        }
    }

    /// The migrations of the base schema (runs, requests, events), in order. Extend the returned
    /// value with `registerMigration` to add tables; never edit a migration that has shipped.
    public static func makeMigrator() -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-bench") { db in
            try BenchSchema.createV1(db)
        }
        return migrator
    }

    /// Runs `body` in one write transaction; a thrown error rolls everything back.
    public func write<T: Sendable>(_ body: @Sendable (Database) throws -> T) throws(ResultStoreError) -> T {
        do {
            return try pool.write(body)
        } catch let error as ResultStoreError {
            throw error
        } catch {
            throw ResultStoreError(.write, "cannot write to \(path): \(error)", cause: error)
        }
    }

    /// Runs `body` on a read-only snapshot.
    public func read<T: Sendable>(_ body: @Sendable (Database) throws -> T) throws(ResultStoreError) -> T {
        do {
            return try pool.read(body)
        } catch {
            throw ResultStoreError(.read, "cannot read \(path): \(error)", cause: error)
        }
    }
}
