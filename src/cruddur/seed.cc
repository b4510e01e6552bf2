#include "cruddur/seed.h"

#include <chrono>
#include <thread>

#include "cruddur/uuid.h"
#include "ddb/error.h"
#include "ddb/json.h"
#include "ddb/value_json.h"

namespace cruddur {
namespace {

using ddb::Item;

const std::vector<std::string_view> kConversation = {
    "Morning! Did you get a chance to look at the plot the council offered us for the garden?",
    // NOLINTNEXTLINE(bugprone-suspicious-missing-comma): one message, over two lines
    "I walked past it last night. It's bigger than I expected, and it gets sun until late "
    "afternoon.",
    "That's great news. The old one was shaded by the warehouse half the day.",
    "Exactly. Tomatoes will finally be happy. The soil looks tired though, lots of clay.",
    "We could bring in compost from the city yard. They give it away on Saturdays.",
    "How much do you think we need? The beds are roughly ten metres by four.",
    "If we raise the beds thirty centimetres, about twelve cubic metres I'd guess.",
    "That's a lot of wheelbarrow trips. Maybe we ask the yard if they deliver.",
    "I'll call them today. Who else from the group can help on the first weekend?",
    "Priya said yes, and Tom can bring his trailer if we buy him lunch.",
    "Lunch is a small price for a trailer. Let's say sandwiches and the good coffee.",
    "Ha, he will hold you to the good coffee. What about the water supply?",
    "There's a standpipe at the north corner. We'd need a long hose or a couple of butts.",
    "Rain butts would be better. The roof of the tool shed could feed two of them.",
    "Good idea. Do we even have a tool shed yet?",
    "Not yet. There's a kit at the hardware store, flat-packed, for a reasonable price.",
    "Flat-packed sheds are a weekend of swearing, but fine. Let's budget for it.",
    "Speaking of budget, the grant came through: six hundred for materials this season.",
    "Brilliant. Shed, compost delivery, seeds, and maybe some fencing for the rabbits.",
    "The rabbits are real. I saw three of them sitting on the plot like they owned it.",
    "They probably think they do. Chicken wire, buried a bit, should keep them out.",
    "I'll price chicken wire too. Do you want to make a shared list somewhere?",
    "Let's keep it here for now, I'll copy it into a document tonight.",
    "Okay. List so far: compost, shed kit, two rain butts, chicken wire, seeds.",
    "Add gloves. Half the volunteers never bring any and then borrow mine.",
    "Gloves added. Which seeds are we starting with? It's late for some things.",
    "Lettuce, radishes and spinach can still go in. Beans if the nights stay warm.",
    "And garlic in autumn. The school wants a patch for the kids to grow pumpkins.",
    "Pumpkins need space. Maybe the far corner, where the fence will be anyway.",
    "I'll tell the teacher. She asked if the kids could visit once a month.",
    "Of course. We should do a little safety talk about tools the first time.",
    "Agreed. Nobody runs with a fork. That's the whole talk.",
    "Short and memorable. Did the yard call you back about the compost?",
    "They did. They deliver on Thursdays, free within the city, if it's over ten cubic metres.",
    "Perfect, we're over that. Can someone be there to show the driver where to tip?",
    "I can take Thursday morning off. I'll put up a sign so they don't block the gate.",
    "You're a hero. I'll bring the shed kit over on Friday in my car, if it fits.",
    "Measure the boot first. Last time the bookshelf ended up on the roof rack.",
    "That bookshelf survived. Mostly. I'll measure, promise.",
    "Priya asked whether we want a compost bin of our own for the kitchen scraps.",
    "Yes, three bays would be ideal, one filling, one resting, one ready.",
    "Tom has pallets we could use for the bays. Free, and they look nice enough.",
    "Pallets it is. We're going to run out of weekends before we run out of ideas.",
    "That's the best kind of problem. Shall we set the first work day for the 14th?",
    "The 14th works. I'll message the group with a time, say nine o'clock?",
    "Nine is fine, coffee from half past eight for the early birds.",
    "I'll bring the thermos. Two thermoses. Tom counts as three people at breakfast.",
    "Don't forget the first aid kit. Splinters from the pallets, guaranteed.",
    "Added to the list. Also sunscreen, the forecast says clear skies.",
    "Lovely. I'm genuinely excited about this one. It feels like it will stick.",
    "Me too. Let's make it the kind of place people want to come back to.",
    "A bench. We need a bench. Somewhere to sit and admire the tomatoes.",
    "The council has spare benches from the park refurbishment. I'll ask them.",
    "You know everyone at the council by now.",
    "Comes with the job of filling in forms. Okay, compost is booked for Thursday.",
    "Great. I measured the car: the shed kit fits if I fold both back seats.",
    "No roof rack this time then. The bookshelf will be relieved.",
    "The teacher confirmed the kids' first visit for the end of the month.",
    "I'll prepare little plant labels they can decorate. Lolly sticks and paint.",
    "That's adorable. They'll love seeing their names next to the pumpkins.",
    "Quick question: do we need permission to put up the rain butts on the shed?",
    "It's our shed on our plot, so no. Just make sure the overflow goes into a bed.",
    "Good thinking, the overflow can water the mint. Mint will take over anyway.",
    "Mint in a pot, please. I've seen what it did to my mother's garden.",
    "Fair. Mint in a sunken pot, contained like a tiny green prisoner.",
    "The compost arrived! It's an enormous pile. The driver was very patient.",
    "Amazing. Did anyone walk past and ask what we're building?",
    "Two neighbours stopped. One used to be a landscaper and offered to help.",
    "Excellent, free expertise. Invite them to the work day on the 14th.",
    "Already did. She also has a spare wheelbarrow we can borrow.",
    "Wheelbarrows are the currency of gardening. We're getting rich.",
    "Shed kit picked up. The instructions are twelve pages of pictures and no words.",
    "Pictures only means we can blame the pictures. I'll bring a drill.",
    "Bring spare screws too. Flat-pack sheds always have one missing.",
    "Spare screws, noted. The list in the document is now two pages long.",
    "We'll tick things off on the day. It will be satisfying.",
    "Work day report: beds built, half the compost moved, shed walls standing!",
    "What a day. My back disagrees with my enthusiasm, but worth it.",
    "Same here. The kids' teacher dropped by with cake, which was a masterstroke.",
    "Cake diplomacy. We should make it a tradition.",
    "Next weekend: roof on the shed, rain butts, and the first seeds in.",
    "I'll pick up the seeds on Wednesday. Any special requests?",
    "Rainbow chard, because it looks cheerful even when it fails.",
    "Rainbow chard it is. And some marigolds to keep the pests confused.",
    "Marigolds along the edges. The landscaper says they help with aphids.",
    "She's been a great find. She even re-levelled the shed base properly.",
    "I noticed. The door actually closes now without kicking it.",
    "The shed is officially finished. I hung a little sign: tools go back inside.",
    "Let's see how long that rule survives contact with volunteers.",
    "About a week, I'd guess. But the gloves are staying in a labelled box.",
    "First radishes are up! Tiny red shoulders poking out of the soil.",
    "Already? That was fast. Radishes are the instant gratification vegetable.",
    "The rabbits have not breached the fence. The chicken wire is doing its job.",
    "Victory over the rabbits. For now. They're plotting something, I'm sure.",
    "The bench arrived from the council. It's green and slightly wobbly.",
    "A wobbly bench has character. A shim under one leg and it's perfect.",
    "Harvest plan: first lettuces in two weeks, shared out at the Saturday session.",
    "Let's bring bags so people can take some home. Nobody should leave empty-handed.",
    "I'll make a small rota so watering happens every evening in the heat.",
    "Put me down for Tuesdays and Fridays. I pass by on my way home anyway.",
    "Done. Thanks for pushing this project along, it wouldn't exist without you.",
    "It took all of us. See you Saturday, I'll bring the good coffee.",
};

// Buffers puts and sends them 25 at a time; unprocessed items are sent again after a pause.
class BatchWriter {
 public:
  BatchWriter(client::DynamoDbClient& ddb, std::string table)
      : ddb_(ddb), table_(std::move(table)) {}
  void Put(Item item) {
    pending_.push_back(std::move(item));
    if (pending_.size() == 25) Flush();
  }
  void Flush() {
    for (int attempt = 0; !pending_.empty(); ++attempt) {
      ddb::JsonBuffer buf;
      ddb::JsonWriter w(buf);
      w.StartObject();
      w.Key("RequestItems");
      w.StartObject();
      w.Key(table_.c_str());
      w.StartArray();
      for (const auto& item : pending_) {
        w.StartObject();
        w.Key("PutRequest");
        w.StartObject();
        w.Key("Item");
        ddb::WriteItem(w, item);
        w.EndObject();
        w.EndObject();
      }
      w.EndArray();
      w.EndObject();
      w.EndObject();
      std::string response =
          ddb_.Call("BatchWriteItem", std::string(buf.GetString(), buf.GetSize()));
      std::vector<Item> unprocessed;
      ddb::JsonDocument d;
      d.Parse(response.c_str());
      if (!d.HasParseError() && d.IsObject() && d.HasMember("UnprocessedItems") &&
          d["UnprocessedItems"].IsObject() && d["UnprocessedItems"].HasMember(table_.c_str())) {
        for (const auto& r : d["UnprocessedItems"][table_.c_str()].GetArray()) {
          unprocessed.push_back(ddb::ParseItem(r["PutRequest"]["Item"]));
        }
      }
      written_ += static_cast<long>(pending_.size() - unprocessed.size());
      pending_ = std::move(unprocessed);
      if (!pending_.empty()) {
        if (attempt >= 10)
          throw std::runtime_error("BatchWriteItem kept leaving items unprocessed");
        std::this_thread::sleep_for(std::chrono::milliseconds(50 << std::min(attempt, 6)));
      }
    }
  }

 private:
  client::DynamoDbClient& ddb_;
  std::string table_;
  std::vector<Item> pending_;
  long written_ = 0;
};

}  // namespace

const std::vector<std::string_view>& SeedConversation() { return kConversation; }

SeedResult Seed(client::DynamoDbClient& ddb, const std::string& table, const UserRef& andrew,
                const UserRef& bayko, const SeedOptions& options) {
  using namespace std::chrono;
  const long scripted = static_cast<long>(kConversation.size());
  const long total = std::max(options.total_messages, scripted);
  BatchWriter writer(ddb, table);
  SeedResult result;
  auto now = system_clock::now();
  auto report = [&](long done) {
    if (options.progress) options.progress(done, total);
  };

  // The scripted conversation: line i at now - (n-1-i) minutes.
  std::string group(kSeedGroupUuid);
  std::string last_sk;
  for (long i = 0; i < scripted; ++i) {
    std::string sk = FormatTimestamp(now - minutes(scripted - 1 - i));
    const UserRef& sender = i % 2 == 0 ? andrew : bayko;
    writer.Put(MessageItem(group, NewUuidV4(), sender, std::string(kConversation[i]), sk));
    last_sk = sk;
  }
  std::string last_text(kConversation.back());
  writer.Put(GroupItem(andrew.uuid, group, bayko, last_text, last_sk));
  writer.Put(GroupItem(bayko.uuid, group, andrew, last_text, last_sk));
  writer.Flush();
  result.messages = scripted;
  result.groups = 1;
  report(result.messages);

  // Synthetic conversations of 100 messages between generated members, for large data sets.
  long remaining = total - scripted;
  while (remaining > 0) {
    long n = std::min<long>(100, remaining);
    std::string g = NewUuidV4();
    UserRef a{NewUuidV4(), "Member A", "member-a"}, b{NewUuidV4(), "Member B", "member-b"};
    std::string sk;
    for (long i = 0; i < n; ++i) {
      sk = FormatTimestamp(now - minutes(n - 1 - i) - seconds(result.groups));
      writer.Put(
          MessageItem(g, NewUuidV4(), i % 2 ? b : a, std::string(kConversation[i % scripted]), sk));
    }
    std::string text(kConversation[(n - 1) % scripted]);
    writer.Put(GroupItem(a.uuid, g, b, text, sk));
    writer.Put(GroupItem(b.uuid, g, a, text, sk));
    result.messages += n;
    result.groups++;
    remaining -= n;
    if (result.groups % 10 == 0 || remaining == 0) {
      writer.Flush();
      report(result.messages);
    }
  }
  writer.Flush();
  return result;
}

}  // namespace cruddur
