/// The fixed vocabulary of generated prompts. Changing it changes `data/prompts.jsonl`.
enum PromptWords {
    static let tasks = [
        "Write a short story about", "Explain in simple terms", "Summarize what you know about",
        "Give three facts about", "Describe a day in the life of", "Write a poem about",
        "List the pros and cons of", "Answer briefly: what is the history of", "Compare two views on",
        "Write a friendly letter about",
    ]
    static let topics = [
        "a lighthouse keeper", "the water cycle", "a small bakery", "mountain weather", "an old library",
        "a city garden", "the night sky", "a train journey", "learning a language", "a river delta",
        "a chess club", "the first snow", "a robot that paints", "a fishing village", "renewable energy",
        "a market at dawn", "a museum of clocks", "a forest after rain", "a bicycle repair shop",
        "a school science fair",
    ]
    static let adjectives = [
        "quiet", "bright", "old", "curious", "gentle", "busy", "small", "distant", "careful", "green",
        "patient", "tired", "clever", "silver", "warm", "narrow", "loud", "simple", "heavy", "early",
    ]
    static let nouns = [
        "teacher", "river", "window", "engine", "garden", "letter", "baker", "bridge", "map", "lantern",
        "student", "harbor", "painter", "clock", "farmer", "road", "orchard", "sailor", "tower", "notebook",
    ]
    static let verbs = [
        "watches", "follows", "repairs", "remembers", "carries", "describes", "builds", "finds", "visits",
        "measures", "paints", "guards", "opens", "studies", "crosses", "answers",
    ]
    static let connectors = ["while", "because", "after", "before", "until", "when", "although", "since"]
    static let places = [
        "near the hill", "by the sea", "in the morning", "under the stars", "across the valley",
        "at the station", "in the old town", "during the storm", "along the coast", "behind the school",
    ]
}
