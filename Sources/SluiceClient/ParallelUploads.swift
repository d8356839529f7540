/// Uploading several files at once.
extension FileUploader {
    /// Uploads `paths`, at most `parallel` at a time; the results come in the order of `paths`.
    /// An error other than ``ClientError`` (a cancellation) becomes ``ClientError/failed(_:)``.
    public func uploadAll(_ paths: [String], parallel: Int) async -> [Result<UploadedFile, ClientError>] {
        await withTaskGroup(of: (Int, Result<UploadedFile, ClientError>).self) { group in
            var results = [Result<UploadedFile, ClientError>?](repeating: nil, count: paths.count)
            var next = 0
            func startNext() {
                guard next < paths.count else { return }
                let index = next
                next += 1
                group.addTask {
                    do {
                        return (index, .success(try await upload(paths[index])))
                    } catch let error as ClientError {
                        return (index, .failure(error))
                    } catch {
                        return (index, .failure(.failed("\(error)")))
                    }
                }
            }
            for _ in 0..<max(parallel, 1) { startNext() }
            for await (index, result) in group {
                results[index] = result
                startNext()
            }
            return results.map { $0 ?? .failure(.failed("not uploaded")) }
        }
    }
}
